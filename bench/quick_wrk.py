"""B1-B3 alone against an already generated instance, with bench/run.py's servers and wrk settings: for checking
one change in a couple of minutes instead of a full `make bench`.

    LMS_INSTANCE_PATH=/tmp/m LMS_DATABASE_URL=sqlite:////tmp/m/lms.sqlite3 \\
        .venv/bin/flask --app wsgi lms generate --size M --summary /tmp/m/summary.json
    .venv/bin/python bench/quick_wrk.py /tmp/m --reps 2 --duration 5 B1 B3
    git worktree add /tmp/before HEAD   # or any copy of an older checkout
    .venv/bin/python bench/quick_wrk.py /tmp/m --before /tmp/before B1 B2 B3

Ratios are against bench/bare_app.py measured just before each figure, as in bench/run.py. With --before, the
same requests also go to a server running that checkout (same database), interleaved, so a change is judged
within one run: the machine's load moves both figures alike.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from run import ROOT, Server, app_env, log, wrk  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("instance", type=Path)
    parser.add_argument("benches", nargs="*", default=["B1", "B2", "B3"])
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--before", type=Path, help="another checkout of the project to serve the same database, for before/after")
    args = parser.parse_intermixed_args()
    from client import Browser
    from profile_requests import make_app_for_paths, paths_for

    summary = json.loads((args.instance / "summary.json").read_text(encoding="utf-8"))
    work = Path(tempfile.mkdtemp(prefix="lms-quick-"))
    app = make_app_for_paths(summary, args.instance)
    paths = {name: paths_for(name, args.instance, summary, app) for name in args.benches}
    app.extensions["lms_db"].engine.dispose()
    secret = secrets.token_urlsafe(32)
    bare = Server("bare", "bare_app:app", dict(os.environ), BENCH, work / "bare.log")
    servers = {"after": Server("app", "wsgi:app", app_env(summary["database"], args.instance, secret), ROOT, work / "app.log")}
    if args.before:
        # gunicorn puts its working directory first on sys.path: that checkout's lms is the one imported
        servers["before"] = Server("before", "wsgi:app", app_env(summary["database"], args.instance, secret), args.before.resolve(),
                                   work / "before.log")
    try:
        bare.wait("/api/v1/certificates/warm")
        extra: dict[tuple[str, str], dict] = {}
        for label, server in servers.items():
            server.wait("/healthz")
            for name, (role, _, headers) in paths.items():
                extra[label, name] = {"authorization": headers.get("Authorization", "")}
                if role == "learner":
                    browser = Browser(server.port)
                    browser.login(next(e["login"] for e in summary["demo_logins"] if e["role"] == "learner"), summary["password"])
                    extra[label, name]["cookie"] = browser.cookie_header()
                wrk(server.port, paths[name][1], 2, work, **extra[label, name])  # warm-up
        wrk(bare.port, ["/api/v1/certificates/X"], 2, work)
        ratios: dict[tuple[str, str], list[float]] = {}
        for rep in range(args.reps):
            for name in args.benches:
                for label, server in servers.items():
                    baseline = wrk(bare.port, ["/api/v1/certificates/X"], args.duration, work)
                    run = wrk(server.port, paths[name][1], args.duration, work, **extra[label, name])
                    ratios.setdefault((label, name), []).append(round(run["per_second"] / baseline["per_second"], 3))
                    log(f"rep {rep + 1} {name} {label}: bare {baseline['per_second']}/s, app {run['per_second']}/s, "
                        f"ratio {ratios[label, name][-1]}, p50 {run['latency_us']['p50'] / 1000:.1f} ms, errors {run['error_count']}")
        for (label, name), values in sorted(ratios.items(), key=lambda item: (item[0][1], item[0][0] != "before")):
            print(f"{name} {label:<6}: ratio min {min(values)} median {statistics.median(values)} max {max(values)}")
        for label, server in servers.items():
            print(f"{label}: database is locked {server.locked_count()}")
    finally:
        for server in servers.values():
            server.stop()
        bare.stop()


if __name__ == "__main__":
    main()
