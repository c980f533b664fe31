"""The in-process rate-limit storage: limits hold, expired counters are forgotten, and a hit starts no thread."""
import threading
import time

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from lms.ratelimit import ProcessMemoryStorage


def test_the_default_scheme_counts_hits_per_key_and_refuses_over_the_limit():
    storage = storage_from_string("lms-memory://")
    limiter = FixedWindowRateLimiter(storage)
    limit = parse("2 per minute")
    assert isinstance(storage, ProcessMemoryStorage)
    assert [limiter.hit(limit, "ip:1") for _ in range(3)] == [True, True, False]
    assert limiter.hit(limit, "ip:2")  # another client has its own count


def test_hits_start_no_thread(monkeypatch):
    storage = storage_from_string("lms-memory://")
    limiter = FixedWindowRateLimiter(storage)
    started = []
    monkeypatch.setattr(threading.Thread, "start", lambda self: started.append(self))
    for n in range(50):
        limiter.hit(parse("1000 per minute"), f"ip:{n % 5}")
        time.sleep(0.001)
    assert started == []


def test_expired_counters_of_other_keys_are_swept_on_a_later_hit():
    storage = storage_from_string("lms-memory://")
    limiter = FixedWindowRateLimiter(storage)
    limiter.hit(parse("5 per minute"), "ip:gone")
    key = next(iter(storage.storage))
    storage.expirations[key] = time.time() - 1  # its window ended
    storage._next_sweep = 0  # and the sweep interval has passed
    limiter.hit(parse("5 per minute"), "ip:new")
    assert key not in storage.storage and key not in storage.expirations
    assert len(storage.storage) == 1
