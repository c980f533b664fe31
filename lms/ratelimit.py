"""Rate-limit counters in this process's memory, without a thread per request (scheme `lms-memory://`)."""
from __future__ import annotations

import threading
import time

from limits.storage import MemoryStorage

# how often a hit also drops the counters of other keys that have expired (their memory, not their meaning)
SWEEP_SECONDS = 10.0


class ProcessMemoryStorage(MemoryStorage):
    """limits' MemoryStorage, but expired counters are swept inline instead of by a timer thread.

    MemoryStorage starts a new `threading.Timer` whenever a hit finds the previous one finished, and that
    one finishes 10 ms after it starts: on a busy server nearly every limited request paid for a thread
    start. A counter is already checked for expiry whenever its own key is read, so the sweep only frees
    the memory of keys nobody asks for any more; doing it every few seconds on a request thread is enough.
    Counters are per process, like memory://: use redis:// for limits that hold across workers.
    """

    STORAGE_SCHEME = ["lms-memory"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: str) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._sweep_lock = threading.Lock()
        self._next_sweep = time.monotonic() + SWEEP_SECONDS

    # MemoryStorage calls its private __schedule_expiry on every hit; this replaces it
    def _MemoryStorage__schedule_expiry(self) -> None:
        if time.monotonic() < self._next_sweep or not self._sweep_lock.acquire(blocking=False):
            return
        try:
            self._next_sweep = time.monotonic() + SWEEP_SECONDS
            self.sweep()
        finally:
            self._sweep_lock.release()

    def sweep(self) -> None:
        """Forget expired fixed-window counters and moving-window entries."""
        now = time.time()
        for key, expiry in list(self.expirations.items()):
            if expiry <= now:
                with self.locks[key]:
                    if self.expirations.get(key, now + 1) <= now:
                        self.storage.pop(key, None)
                        self.expirations.pop(key, None)
                self.locks.pop(key, None)
        for key, events in list(self.events.items()):
            with self.locks[key]:
                # entries are kept newest first; keep those not yet expired
                kept = [entry for entry in events if entry.expiry > now]
                if kept:
                    self.events[key] = kept
                else:
                    self.events.pop(key, None)
            if key not in self.events:
                self.locks.pop(key, None)
