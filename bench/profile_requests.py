"""Per-request CPU time, wall time and SQL statements of one benchmark's requests, in-process (no HTTP, no
contention from a load generator), with an optional cProfile. For finding where a request's time goes
before and after a change; `bench/run.py` remains the benchmark.

    .venv/bin/flask --app wsgi lms generate --size M --summary /tmp/m/summary.json   # with LMS_INSTANCE_PATH=/tmp/m
    .venv/bin/python bench/profile_requests.py /tmp/m B1 B2 B3 --requests 300
    .venv/bin/python bench/profile_requests.py /tmp/m B3 --profile 25

The app gets the production settings bench/run.py gives gunicorn (HTTPS, the real limiter with raised limits,
CSRF on); "bare" is bench/bare_app.py through the same test client, for a ratio measured in the same process.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import re
import sys
import time
from pathlib import Path

from sqlalchemy import event

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))


def paths_for(name: str, instance: Path, summary: dict, app) -> tuple[str, list[str], dict]:
    """(role, paths, headers) of a benchmark, from the generated summary."""
    from sqlalchemy import text

    token = {"Authorization": f"Bearer {summary['api_token']}"}
    if name.startswith("/"):
        return "anonymous", [name], {}
    if name in ("bare", "B1"):
        return "anonymous", [f"/api/v1/certificates/{c}" for s in ("valid", "expired", "revoked") for c in summary["certificates"][s]], {}
    if name == "B2":
        return "anonymous", [f"/api/v1/sellers/{c}/onboarding" for bucket in summary["sellers"].values() for c in bucket], token
    if name == "B3":
        learner = next(login["login"] for login in summary["demo_logins"] if login["role"] == "learner")
        engine = app.extensions["lms_db"].engine
        with engine.connect() as connection:
            slug = connection.execute(text("SELECT c.slug FROM enrolments e JOIN courses c ON c.id = e.course_id JOIN users u ON u.id = e.user_id "
                                           "WHERE u.email = :login ORDER BY c.id"), {"login": learner}).all()[1][0]
            ids = connection.execute(text("SELECT v.lesson_ids FROM course_versions v JOIN courses c ON c.id = v.course_id "
                                          "WHERE c.slug = :slug AND v.number = c.version"), {"slug": slug}).scalar()
            ids = json.loads(ids) if isinstance(ids, str) else ids
            rows = {r[0]: r for r in connection.execute(text("SELECT l.id, m.slug, l.slug FROM lessons l JOIN modules m ON m.id = l.module_id "
                                                             "JOIN courses c ON c.id = m.course_id WHERE c.slug = :slug"), {"slug": slug})}
        return "learner", [f"/courses/{slug}/{rows[i][1]}/{rows[i][2]}" for i in ids if i in rows], {}
    pages = {"dashboard": ("learner", "/dashboard"), "session": ("trainer", f"/reports/sessions/{summary['demo_session_id']}"),
             "report": ("trainer", f"/reports/courses/{summary['demo_course']}"), "search": ("verifier", "/console/sellers?q=nguyen"),
             "statistics": ("verifier", "/console/statistics")}
    role, path = pages[name]
    return role, [path], {}


def client_for(app, role: str, summary: dict):
    client = app.test_client()
    if role == "anonymous":
        return client
    login = next(entry["login"] for entry in summary["demo_logins"] if entry["role"] == role)
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    response = client.post("/login", data={"login": login, "password": summary["password"], "csrf_token": token.group(1) if token else ""})
    assert response.status_code in (302, 303), f"login as {role} failed: {response.status_code}"
    return client


def measure(name: str, instance: Path, requests: int, profile: int, overrides: dict | None = None) -> dict:
    summary = json.loads((instance / "summary.json").read_text(encoding="utf-8"))
    if name == "bare":
        from bare_app import app
    else:
        from inprocess import make_app

        app = make_app(summary["database"], str(instance), HTTPS=True, SESSION_COOKIE_SECURE=False, REMEMBER_COOKIE_SECURE=False,
                       PUBLIC_URL="https://academy.example.vn", VERIFY_RATE_LIMIT="10000000 per minute",
                       LOGIN_RATE_LIMIT="10000000 per minute", **(overrides or {}))
    source = app if name != "bare" else make_app_for_paths(summary, instance)
    role, paths, headers = paths_for(name, instance, summary, source)
    client = client_for(app, role, summary)
    statements = []
    engine = app.extensions["lms_db"].engine if "lms_db" in app.extensions else None
    statuses: dict[int, int] = {}
    for path in paths[:10]:  # warm
        client.get(path, headers=headers)
    if engine is not None:
        event.listen(engine, "before_cursor_execute", lambda *a, **k: statements.append(1))
    profiler = cProfile.Profile() if profile else None
    cpu, wall = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    for n in range(requests):
        status = client.get(paths[n % len(paths)], headers=headers).status_code
        statuses[status] = statuses.get(status, 0) + 1
    if profiler:
        profiler.disable()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(profile)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(profile)
    return {"bench": name, "requests": requests, "cpu_ms": round(1000 * cpu / requests, 3), "wall_ms": round(1000 * wall / requests, 3),
            "statements": round(len(statements) / requests, 2), "statuses": statuses}


def make_app_for_paths(summary: dict, instance: Path):
    from inprocess import make_app

    return make_app(summary["database"], str(instance))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("instance", type=Path, help="an instance folder filled by `flask lms generate --summary INSTANCE/summary.json`")
    parser.add_argument("benches", nargs="+", help="bare B1 B2 B3 dashboard session report search statistics, or an anonymous /path")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--profile", type=int, default=0, help="print the top N functions of a cProfile (cumulative and own time)")
    parser.add_argument("--rounds", type=int, default=1, help="measure every bench this many times, interleaved; keep the least CPU")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=JSON", help="a configuration override, e.g. RATELIMIT_ENABLED=false")
    args = parser.parse_args()
    overrides = {key: json.loads(value) for key, _, value in (item.partition("=") for item in args.set)}
    best: dict[str, dict] = {}
    for _ in range(args.rounds):
        for name in args.benches:
            result = measure(name, args.instance, args.requests, args.profile, overrides)
            if name not in best or result["cpu_ms"] < best[name]["cpu_ms"]:
                best[name] = result
    results = list(best.values())
    bare = next((r for r in results if r["bench"] == "bare"), None)
    for result in results:
        ratio = f"  bare/this CPU {bare['cpu_ms'] / result['cpu_ms']:.3f}" if bare and result is not bare else ""
        print(f"{result['bench']:<11} {result['cpu_ms']:>8.3f} ms CPU {result['wall_ms']:>8.3f} ms wall {result['statements']:>6} SQL  "
              f"{result['statuses']}{ratio}")


if __name__ == "__main__":
    main()
