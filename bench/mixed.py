"""B6: mixed load. Learners read lessons, mark them complete and take final assessments; platforms check sellers.

Closed loop, no think time: each client thread does one step after another for the whole duration. Every
request is timed per step; an error is a connection failure or a status the step does not expect.
"""
from __future__ import annotations

import random
import re
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sqlalchemy import create_engine, text

from client import Browser

# share of steps: reading is what learners do most; platforms check sellers continuously
STEPS = {"read lesson": 45, "mark lesson": 20, "quiz": 10, "check seller (API)": 25}
RIGHT_ANSWER_SHARE = 0.7  # of submitted attempts, answered to pass
_ATTEMPT = re.compile(r"^/assessment/attempts/(\d+)$")


@dataclass
class Learner:
    login: str
    courses: dict[str, list[str]]  # course slug -> lesson paths


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    outcomes: Counter = field(default_factory=Counter)
    lock = threading.Lock()

    def record(self, step: str, status: int, seconds: float, expected: tuple[int, ...]) -> bool:
        with self.lock:
            self.latencies[step].append(seconds)
            self.statuses[f"{step} {status}"] += 1
            if status not in expected:
                self.errors[f"{step}: HTTP {status}"] += 1
                return False
        return True

    def fail(self, step: str, error: Exception) -> None:
        with self.lock:
            self.errors[f"{step}: {type(error).__name__}"] += 1


def form_fields(items: list[tuple], right: bool, rng: random.Random) -> dict:
    """The attempt form a learner would send: right answers, or wrong ones, in displayed positions."""
    from lms.generate import answers_for

    fields: dict[str, object] = {}
    for position, data, choice_order, match_options in items:
        answer = answers_for(data)[0 if right else 1].response
        if answer is None and not right:
            continue
        name, kind = f"q{position}", data["kind"]
        if kind == "single":
            fields[name] = str(choice_order.index(answer))
        elif kind == "multiple":
            fields[name] = [str(choice_order.index(i)) for i in answer]
        elif kind == "truefalse":
            fields[name] = "true" if answer else "false"
        elif kind == "matching":
            for pair, match in answer.items():
                fields[f"{name}-{pair}"] = str(match_options.index(match))
        else:
            fields[name] = str(answer)
    return fields


class Client(threading.Thread):
    def __init__(self, number: int, port: int, learner: Learner, password: str, sellers: list[str], token: str, engine,
                 results: Results, stop_at: float, seed: int):
        super().__init__(daemon=True)
        self.rng = random.Random(seed * 1000 + number)
        self.port, self.learner, self.password = port, learner, password
        self.sellers, self.engine, self.results, self.stop_at = sellers, engine, results, stop_at
        self.browser = Browser(port)
        self.platform = Browser(port, headers={"Authorization": f"Bearer {token}"})
        self.quiz_courses = list(learner.courses)
        self.ready = False

    def prepare(self) -> None:
        self.browser.login(self.learner.login, self.password)
        first = next(iter(self.learner.courses.values()))[0]
        status, _, html, _ = self.browser.get(first)
        self.browser.remember_csrf(html)
        self.ready = status == 200 and bool(self.browser.csrf_token)

    def run(self) -> None:
        while time.monotonic() < self.stop_at:
            step = self.rng.choices(list(STEPS), weights=list(STEPS.values()))[0]
            try:
                getattr(self, "_" + step.split()[0])(step)
            except Exception as error:  # counted, and the client goes on like a person retrying
                self.results.fail(step, error)
                self.browser.close()
        self.browser.close()
        self.platform.close()

    def _lesson(self) -> str:
        return self.rng.choice(self.learner.courses[self.rng.choice(list(self.learner.courses))])

    def _read(self, step: str) -> None:
        status, _, _, seconds = self.browser.get(self._lesson())
        self.results.record(step, status, seconds, (200,))

    def _mark(self, step: str) -> None:
        status, _, _, seconds = self.browser.post(self._lesson() + "/complete", {})
        self.results.record(step, status, seconds, (302,))

    def _check(self, step: str) -> None:
        status, _, _, seconds = self.platform.get(f"/api/v1/sellers/{self.rng.choice(self.sellers)}/onboarding")
        self.results.record(step, status, seconds, (200,))

    def _quiz(self, step: str) -> None:
        if not self.quiz_courses:
            return self._read("read lesson")
        slug = self.quiz_courses[0]
        status, headers, _, seconds = self.browser.post(f"/courses/{slug}/assessment/start", {})
        self.results.record("quiz: start", status, seconds, (302,))
        match = _ATTEMPT.match(urlsplit(headers.get("Location", "")).path)
        if match is None:  # passed already, pausing after failures, or not enrolled: another course next time
            self.results.outcomes["start refused"] += 1
            self.quiz_courses.pop(0)
            return None
        attempt = int(match.group(1))
        status, _, _, seconds = self.browser.get(f"/assessment/attempts/{attempt}")
        self.results.record("quiz: open attempt", status, seconds, (200,))
        with self.engine.connect() as connection:
            rows = connection.execute(text("SELECT position, question_data, choice_order, match_options FROM attempt_items "
                                           "WHERE attempt_id = :a ORDER BY position"), {"a": attempt}).all()
        items = [tuple(_json(value) for value in row) for row in rows]
        right = self.rng.random() < RIGHT_ANSWER_SHARE
        status, _, _, seconds = self.browser.post(f"/assessment/attempts/{attempt}", {**form_fields(items, right, self.rng), "action": "finish"})
        self.results.record("quiz: save answers", status, seconds, (302,))
        status, _, _, seconds = self.browser.post(f"/assessment/attempts/{attempt}/submit", {})
        if self.results.record("quiz: submit", status, seconds, (302,)):
            self.results.outcomes["submitted to pass" if right else "submitted to fail"] += 1
        return None


def _json(value):
    import json

    return json.loads(value) if isinstance(value, str) and value[:1] in "[{" else value


def run_mixed(port: int, learners: list[Learner], password: str, sellers: list[str], token: str, database_url: str,
              clients: int, duration: float, seed: int) -> dict:
    """Run `clients` concurrent clients for `duration` seconds; throughput, p50/p95/p99 per step, errors."""
    engine = create_engine(database_url)
    results = Results()
    prepared = [Client(n, port, learners[n % len(learners)], password, sellers, token, engine, results, 0, seed) for n in range(clients)]
    for client in prepared:
        client.prepare()
    not_ready = sum(1 for c in prepared if not c.ready)
    stop_at = time.monotonic() + duration
    started = time.perf_counter()
    for client in prepared:
        client.stop_at = stop_at
        client.start()
    for client in prepared:
        client.join(duration + 180)
    elapsed = time.perf_counter() - started
    engine.dispose()
    total = sum(len(v) for v in results.latencies.values())
    return {
        "clients": clients, "seconds": round(elapsed, 1), "requests": total, "throughput": round(total / elapsed, 1),
        "steps": {step: _percentiles(values) for step, values in sorted(results.latencies.items())},
        "errors": sum(results.errors.values()), "error_kinds": dict(results.errors), "outcomes": dict(results.outcomes),
        "clients_not_ready": not_ready,
    }


def _percentiles(values: list[float]) -> dict:
    ordered = sorted(values)

    def at(share: float) -> float:
        return round(1000 * ordered[min(len(ordered) - 1, int(share * len(ordered)))], 1)

    return {"count": len(ordered), "p50_ms": at(0.50), "p95_ms": at(0.95), "p99_ms": at(0.99)}
