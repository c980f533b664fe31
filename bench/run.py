"""`make bench`: B1-B6 of the performance issue, each a ratio or figure measured in the same run.

Servers: gunicorn with the production settings on 127.0.0.1, the app and bench/bare_app.py side by side with
the SAME gunicorn settings (2 gthread workers x 4 threads: one worker per core for CPU-bound Python, threads so
a worker overlaps database waits and keeps connections alive for wrk). Load: wrk (Debian's package) with
bench/wrk/rotate.lua; B6 with a Python driver (bench/mixed.py). Data: `flask lms generate` into a temporary
instance folder, on SQLite and, when it is reachable, PostgreSQL. Every figure is repeated (--reps, 3) and
printed as min / median / max; the run is appended to bench/results/<timestamp>.json.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

GUNICORN_SETTINGS = ["--workers", "2", "--worker-class", "gthread", "--threads", "4", "--keep-alive", "5", "--timeout", "120",
                     "--graceful-timeout", "5"]
WRK_THREADS, WRK_CONNECTIONS = 2, 16
TARGETS = {  # figure -> (comparison, target)
    "B1 certificate API / bare": (">=", 0.6), "B2 seller onboarding API / bare": (">=", 0.45), "B3 lesson page / bare": (">=", 0.3),
    "B4 certificate PDF / one-line PDF": ("<=", 2.0), "B4 RSS growth over renders (MB)": ("<=", 50.0),
    "B6 errors": ("<=", 0), "B6 database is locked": ("<=", 0),
}
B5_TARGET = 1.5
PG_ROLE = PG_PASSWORD = "lms_bench"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- machine and processes ---------------------------------------------------------------------------

def machine() -> dict:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")), "")
    memory = next((int(line.split()[1]) // 1024 for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")), 0)
    return {"cores": os.cpu_count(), "cpu": model, "memory_mb": memory, "platform": platform.platform(), "python": platform.python_version(),
            "load_average_at_start": os.getloadavg()}


def commit_id() -> str:
    """The checked-out commit, read from .git without running git."""
    head = ROOT / ".git" / "HEAD"
    try:
        ref = head.read_text().strip()
        if not ref.startswith("ref: "):
            return ref
        name = ref[5:]
        loose = ROOT / ".git" / name
        if loose.exists():
            return loose.read_text().strip()
        for line in (ROOT / ".git" / "packed-refs").read_text().splitlines():
            if line.endswith(" " + name):
                return line.split()[0]
    except OSError:
        pass
    return "unknown"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A gunicorn process group started by this run (stopped by its own id, never by name)."""

    def __init__(self, name: str, app_spec: str, env: dict, workdir: Path, logfile: Path):
        self.name, self.port, self.logfile = name, free_port(), logfile
        self.handle = open(logfile, "ab")
        self.process = subprocess.Popen([sys.executable, "-m", "gunicorn", *GUNICORN_SETTINGS, "--bind", f"127.0.0.1:{self.port}", app_spec],
                                        cwd=workdir, env=env, stdout=self.handle, stderr=self.handle, start_new_session=True)

    def wait(self, path: str, timeout: float = 60) -> None:
        from client import Browser

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {self.logfile}")
            try:
                status = Browser(self.port).get(path)[0]
                if status < 500:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"{self.name} did not answer in {timeout} s; see {self.logfile}")

    def locked_count(self) -> int:
        return self.logfile.read_text(errors="replace").count("database is locked")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.handle.close()


def app_env(database_url: str, instance: Path, secret: str) -> dict:
    """The production configuration, with rate limits raised so that the limiter is measured but never refuses."""
    return {**os.environ, "LMS_DATABASE_URL": database_url, "LMS_INSTANCE_PATH": str(instance), "LMS_SECRET_KEY": secret, "LMS_HTTPS": "1",
            "LMS_PUBLIC_URL": "https://academy.example.vn", "LMS_VERIFY_RATE_LIMIT": "10000000 per minute",
            "LMS_LOGIN_RATE_LIMIT": "10000000 per minute"}


# --- data -----------------------------------------------------------------------------------------

def postgres_available(reason: list[str]) -> bool:
    if shutil.which("pg_isready") is None:
        reason.append("pg_isready not found")
        return False
    if subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"]).returncode != 0 and shutil.which("pg_ctlcluster"):
        subprocess.run(["pg_ctlcluster", "15", "main", "start"], capture_output=True)
        time.sleep(2)
    if subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"]).returncode != 0:
        reason.append("PostgreSQL is not answering on 127.0.0.1:5432")
        return False
    return True


def postgres_database(name: str) -> str:
    """A fresh database owned by the benchmark role (created as the postgres superuser, like .ci/run)."""
    sql = (f"DROP DATABASE IF EXISTS {name};\n"
           f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{PG_ROLE}') THEN "
           f"CREATE ROLE {PG_ROLE} LOGIN PASSWORD '{PG_PASSWORD}'; END IF; END $$;\n"
           f"CREATE DATABASE {name} OWNER {PG_ROLE} ENCODING 'UTF8' TEMPLATE template0;\n")
    subprocess.run(["su", "postgres", "-c", "psql -q -v ON_ERROR_STOP=1"], input=sql, text=True, check=True, capture_output=True)
    return f"postgresql+psycopg://{PG_ROLE}:{PG_PASSWORD}@127.0.0.1:5432/{name}"


class Dataset:
    """One generated database: its URL, instance folder (signing keys) and summary."""

    def __init__(self, engine: str, size: str, work: Path, seed: int, label: str):
        self.engine, self.size = engine, size
        self.instance = work / f"{engine}-{label}"
        self.instance.mkdir(parents=True, exist_ok=True)
        self.url = f"sqlite:///{self.instance / 'lms.sqlite3'}" if engine == "sqlite" else postgres_database(f"lms_bench_{label}")
        summary_file = self.instance / "summary.json"
        env = {**os.environ, "LMS_DATABASE_URL": self.url, "LMS_INSTANCE_PATH": str(self.instance)}
        started = time.perf_counter()
        with open(self.instance / "generate.log", "wb") as output:
            child = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "lms", "generate", "--size", size, "--seed", str(seed),
                                      "--summary", str(summary_file)], cwd=ROOT, env=env, stdout=output, stderr=output)
            # this child's own CPU time (datasets are generated two at a time, so os.times() would mix them)
            _pid, status, usage = os.wait4(child.pid, 0)
            child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            raise RuntimeError(f"generate --size {size} failed; see {self.instance / 'generate.log'}")
        self.seconds = time.perf_counter() - started
        self.cpu_seconds = usage.ru_utime + usage.ru_stime
        self.summary = json.loads(summary_file.read_text(encoding="utf-8"))
        log(f"generated {engine} {size}: {self.summary['counts']['users']} users, {self.summary['counts']['certificates']} certificates "
            f"in {self.seconds:.0f} s ({self.cpu_seconds:.0f} s CPU)")

    def logins(self) -> dict[str, str]:
        return {login["role"]: login["login"] for login in self.summary["demo_logins"]}

    def query(self, sql: str, **params) -> list:
        from sqlalchemy import create_engine, text

        engine = create_engine(self.url)
        try:
            with engine.connect() as connection:
                return list(connection.execute(text(sql), params))
        finally:
            engine.dispose()

    def lesson_paths(self, slug: str) -> list[str]:
        version = self.query("SELECT v.lesson_ids FROM course_versions v JOIN courses c ON c.id = v.course_id "
                             "WHERE c.slug = :slug AND v.number = c.version", slug=slug)[0][0]
        ids = json.loads(version) if isinstance(version, str) else version
        rows = {row[0]: row for row in self.query("SELECT l.id, m.slug, l.slug FROM lessons l JOIN modules m ON m.id = l.module_id "
                                                   "JOIN courses c ON c.id = m.course_id WHERE c.slug = :slug", slug=slug)}
        return [f"/courses/{slug}/{rows[i][1]}/{rows[i][2]}" for i in ids if i in rows]


# --- measurements ---------------------------------------------------------------------------------------

def wrk(port: int, paths: list[str], seconds: float, work: Path, authorization: str = "", cookie: str = "") -> dict:
    paths_file = work / f"paths-{port}-{secrets.token_hex(3)}.txt"
    paths_file.write_text("\n".join(paths) + "\n")
    env = {**os.environ, "BENCH_PATHS": str(paths_file), "BENCH_AUTHORIZATION": authorization, "BENCH_COOKIE": cookie}
    result = subprocess.run(["wrk", f"-t{WRK_THREADS}", f"-c{WRK_CONNECTIONS}", f"-d{seconds}s", "--latency", "-s", str(BENCH / "wrk" / "rotate.lua"),
                             f"http://127.0.0.1:{port}"], env=env, capture_output=True, text=True, timeout=seconds + 120)
    match = re.search(r"^BENCH_JSON (.*)$", result.stdout, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"wrk failed: {result.stdout}\n{result.stderr}")
    data = json.loads(match.group(1))
    data["per_second"] = round(data["requests"] / (data["duration_us"] / 1e6), 1)
    data["error_count"] = sum(data["errors"].values())
    return data


def spread(values: list[float]) -> dict:
    return {"min": round(min(values), 3), "median": round(statistics.median(values), 3), "max": round(max(values), 3), "values": values}


def page_latencies(port: int, cookie_login: tuple[str, str] | None, path: str, samples: int, budget: float) -> dict:
    """Sequential GETs of one page by one signed-in person: p95 of up to `samples` requests within `budget` seconds (at least 5)."""
    from client import Browser

    browser = Browser(port)
    if cookie_login:
        browser.login(*cookie_login)
    for _ in range(2):
        browser.get(path)
    times, statuses = [], set()
    deadline = time.monotonic() + budget
    while len(times) < samples and (len(times) < 5 or time.monotonic() < deadline):
        status, _, _, seconds = browser.get(path)
        statuses.add(status)
        times.append(seconds)
    browser.close()
    ordered = sorted(times)
    return {"p95_ms": round(1000 * ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1), "samples": len(times),
            "statuses": sorted(statuses)}


def growth_pages(data: Dataset, console: bool) -> dict[str, tuple[str, str]]:
    summary = data.summary
    pages = {
        "learner dashboard": ("learner", "/dashboard"),
        "trainer's session report": ("trainer", f"/reports/sessions/{summary['demo_session_id']}"),
        "course progress report (extra)": ("trainer", f"/reports/courses/{summary['demo_course']}"),
    }
    if console:
        pages["verifier search"] = ("verifier", "/console/sellers?q=nguyen")
        pages["statistics"] = ("verifier", "/console/statistics")
    return pages


def has_console(data: Dataset) -> bool:
    from inprocess import make_app

    app = make_app(data.url, str(data.instance))
    present = {"console.sellers", "console.statistics"} <= set(app.view_functions)
    app.extensions["lms_db"].engine.dispose()
    return present


# --- the run --------------------------------------------------------------------------------------------

def bench_engine(engine: str, args, work: Path, secret: str, bare: Server, results: dict) -> None:
    from client import Browser

    figures = results["figures"]
    note = results["notes"]

    def figure(name: str, values: list[float], **extra) -> None:
        figures.setdefault(name, {})[engine] = {**spread(values), **extra}

    # nothing is timed while data is generated: all of this engine's datasets, two at a time (both cores), largest first
    with ThreadPoolExecutor(max_workers=2) as pool:
        pending = {label: pool.submit(Dataset, engine, size, work, args.seed, label)
                   for label, size in ((f"growth_{args.growth_size.lower()}", args.growth_size), ("mixed", args.mixed_size),
                                       ("growth_xs", "XS"), ("issue", "XS"))}
        generated = {label: future.result() for label, future in pending.items()}
    medium = generated["mixed"]
    results["generation"].setdefault(engine, {})[medium.size] = {"seconds": round(medium.seconds, 1), "cpu_seconds": round(medium.cpu_seconds, 1)}
    server = Server(f"app-{engine}-{medium.size}", "wsgi:app", app_env(medium.url, medium.instance, secret), ROOT, work / f"gunicorn-{engine}-{medium.size}.log")
    try:
        server.wait("/healthz")
        summary = medium.summary
        certificate_paths = [f"/api/v1/certificates/{code}" for state in ("valid", "expired", "revoked") for code in summary["certificates"][state]]
        seller_paths = [f"/api/v1/sellers/{code}/onboarding" for bucket in summary["sellers"].values() for code in bucket]
        learner = Browser(server.port)
        learner.login(medium.logins()["learner"], summary["password"])
        demo_courses = [row[0] for row in medium.query("SELECT c.slug FROM enrolments e JOIN courses c ON c.id = e.course_id "
                                                         "JOIN users u ON u.id = e.user_id WHERE u.email = :login ORDER BY c.id",
                                                         login=medium.logins()["learner"])]
        lesson_paths = medium.lesson_paths(demo_courses[1])
        auth = f"Bearer {summary['api_token']}"
        cookie = learner.cookie_header()
        for port, paths, extra in ((bare.port, certificate_paths, {}), (server.port, certificate_paths, {}),
                                   (server.port, seller_paths, {"authorization": auth}), (server.port, lesson_paths, {"cookie": cookie})):
            wrk(port, paths, 2, work, **extra)  # warm-up
        ratios = {"B1": [], "B2": [], "B3": []}
        raw = []
        for rep in range(args.reps):
            baseline = wrk(bare.port, certificate_paths, args.duration, work)
            b1 = wrk(server.port, certificate_paths, args.duration, work)
            b2 = wrk(server.port, seller_paths, args.duration, work, authorization=auth)
            b3 = wrk(server.port, lesson_paths, args.duration, work, cookie=cookie)
            for key, run in (("B1", b1), ("B2", b2), ("B3", b3)):
                ratios[key].append(round(run["per_second"] / baseline["per_second"], 3))
            raw.append({"bare": baseline, "B1": b1, "B2": b2, "B3": b3})
            log(f"{engine} rep {rep + 1}: bare {baseline['per_second']}/s, B1 {b1['per_second']}/s, B2 {b2['per_second']}/s, "
                f"B3 {b3['per_second']}/s (errors {b1['error_count']}/{b2['error_count']}/{b3['error_count']})")
        figure("B1 certificate API / bare", ratios["B1"], requests_per_second=[r["B1"]["per_second"] for r in raw])
        figure("B2 seller onboarding API / bare", ratios["B2"], requests_per_second=[r["B2"]["per_second"] for r in raw])
        figure("B3 lesson page / bare", ratios["B3"], requests_per_second=[r["B3"]["per_second"] for r in raw])
        figure("bare app requests/s", [r["bare"]["per_second"] for r in raw])
        results["raw"].setdefault(engine, {})["wrk"] = raw
        errors = sum(r[k]["error_count"] for r in raw for k in ("B1", "B2", "B3"))
        if errors:
            note.append(f"{engine}: {errors} wrk errors in B1-B3 (non-2xx/3xx or socket errors)")

        # B6: mixed load at size M
        from mixed import Learner, run_mixed

        rows = medium.query("SELECT u.email, u.phone, c.slug FROM enrolments e JOIN users u ON u.id = e.user_id JOIN courses c ON c.id = e.course_id "
                            "WHERE e.status = 'active' AND u.id > 4 AND u.role = 'learner' ORDER BY u.id, c.id")
        by_login: dict[str, list[str]] = {}
        for email, phone, slug in rows:
            by_login.setdefault(email or phone, []).append(slug)
        paths = {slug: medium.lesson_paths(slug) for slug in {s for slugs in by_login.values() for s in slugs}}
        chooser = random.Random(args.seed)
        chosen = chooser.sample(sorted(by_login), min(len(by_login), args.mixed_clients * args.reps))
        sellers = [code for bucket in summary["sellers"].values() for code in bucket]
        runs = []
        for rep in range(args.reps):
            locked_before = server.locked_count()
            group = chosen[rep * args.mixed_clients:(rep + 1) * args.mixed_clients] or chosen[:args.mixed_clients]
            learners = [Learner(login, {slug: paths[slug] for slug in by_login[login]}) for login in group]
            run = run_mixed(server.port, learners, summary["password"], sellers, summary["api_token"], medium.url, args.mixed_clients,
                            args.mixed_seconds, args.seed + rep)
            run["database_is_locked"] = server.locked_count() - locked_before
            runs.append(run)
            log(f"{engine} B6 rep {rep + 1}: {run['throughput']} req/s, {run['errors']} errors, {run['database_is_locked']} locked, "
                f"outcomes {run['outcomes']}")
        figure("B6 throughput (requests/s)", [r["throughput"] for r in runs])
        figure("B6 errors", [r["errors"] for r in runs])
        figure("B6 database is locked", [r["database_is_locked"] for r in runs])
        steps = sorted({step for r in runs for step in r["steps"]})
        for step in steps:
            for pct in ("p50_ms", "p95_ms", "p99_ms"):
                figure(f"B6 {step} {pct[:3]} (ms)", [r["steps"][step][pct] for r in runs if step in r["steps"]])
        results["raw"][engine]["mixed"] = runs
    finally:
        server.stop()

    # B5: growth from XS to L, same pages, same people
    datasets = {size: generated[f"growth_{size.lower()}"] for size in ("XS", args.growth_size)}
    results["generation"][engine].update({size: {"seconds": round(d.seconds, 1), "cpu_seconds": round(d.cpu_seconds, 1)} for size, d in datasets.items()})
    console = has_console(datasets["XS"])
    if not console:
        note.append("the verifier console (/console/sellers, /console/statistics) is not registered: B5 covers the other pages")
    from inprocess import query_counts

    latencies: dict[str, dict[str, list]] = {}
    counts: dict[str, dict[str, int]] = {}
    for size, data in datasets.items():
        pages = growth_pages(data, console)
        counts[size] = query_counts(data.url, str(data.instance), pages, data.logins(), data.summary["password"], data.summary["api_token"])
        server = Server(f"app-{engine}-{size}", "wsgi:app", app_env(data.url, data.instance, secret), ROOT, work / f"gunicorn-{engine}-{size}.log")
        try:
            server.wait("/healthz")
            for rep in range(args.reps):
                for name, (role, path) in pages.items():
                    measured = page_latencies(server.port, (data.logins()[role], data.summary["password"]), path, args.page_samples, args.page_budget)
                    latencies.setdefault(name, {}).setdefault(size, []).append(measured)
        finally:
            server.stop()
    for name, by_size in latencies.items():
        small, large = by_size["XS"], by_size[args.growth_size]
        ratios = [round(l["p95_ms"] / s["p95_ms"], 2) for s, l in zip(small, large)]
        statuses = sorted({st for m in small + large for st in m["statuses"]})
        figure(f"B5 {name}: p95 {args.growth_size} / XS", ratios, p95_ms_xs=[m["p95_ms"] for m in small],
               p95_ms_large=[m["p95_ms"] for m in large], statuses=statuses,
               queries_xs=counts["XS"][name], queries_large=counts[args.growth_size][name])
        if statuses != [200]:
            note.append(f"{engine} B5 {name}: HTTP statuses {statuses}")

    # bulk issuance on both cores
    from inprocess import bulk_issue

    issue = generated["issue"]
    pairs = add_due(issue, args.issue * args.reps + args.issue_pdf)
    rates = []
    for rep in range(args.reps):
        run = bulk_issue(issue.url, str(issue.instance), pairs[rep * args.issue:(rep + 1) * args.issue], 2, False)
        rates.append(run["per_second"])
        log(f"{engine} bulk issuance rep {rep + 1}: {run}")
    figure(f"bulk issuance of {args.issue} certificates, 2 processes (certificates/s)", rates)
    if args.issue_pdf:
        run = bulk_issue(issue.url, str(issue.instance), pairs[-args.issue_pdf:], 2, True)
        log(f"{engine} bulk issuance with PDFs: {run}")
        figure(f"bulk issuance with PDFs ({args.issue_pdf} certificates, 2 processes, certificates/s)", [run["per_second"]],
               projected_seconds_for_3000=round(3000 / run["per_second"], 0))


def add_due(data: Dataset, count: int) -> list[tuple[int, int]]:
    from inprocess import make_app

    from lms import clock
    from lms.accounts.services import hash_password
    from lms.extensions import db
    from lms.generate import add_due_learners

    app = make_app(data.url, str(data.instance))
    with app.app_context():
        pairs = add_due_learners(db.session, random.Random(7), count, clock.now(), hash_password(data.summary["password"]))
        db.session.commit()
    app.extensions["lms_db"].engine.dispose()
    return pairs


def bench_pdf(args, data: Dataset, results: dict) -> None:
    """B4 in this process, warm: the certificate against a one-line WeasyPrint document."""
    from inprocess import make_app, pdf_ratio, sample_certificate

    claims, link = sample_certificate(make_app(data.url, str(data.instance), PUBLIC_URL="https://academy.example.vn"))
    runs = [pdf_ratio(claims, link, args.pdf_renders) for _ in range(args.reps)]
    results["figures"]["B4 certificate PDF / one-line PDF"] = {"in-process": {
        **spread([r["ratio"] for r in runs]), "certificate_ms": [r["certificate_ms"] for r in runs], "one_line_ms": [r["one_line_ms"] for r in runs]}}
    log(f"B4: {runs}")


def verdict(name: str, median: float) -> str:
    if name.startswith("B5 "):
        return "meets" if median <= B5_TARGET else "MISSES"
    if name not in TARGETS:
        return ""
    op, target = TARGETS[name]
    ok = median >= target if op == ">=" else median <= target
    return "meets" if ok else "MISSES"


def target_text(name: str) -> str:
    if name.startswith("B5 "):
        return f"<= {B5_TARGET}"
    return f"{TARGETS[name][0]} {TARGETS[name][1]:g}" if name in TARGETS else ""


def print_table(results: dict) -> None:
    m = results["machine"]
    print(f"\nMachine: {m['cores']} cores ({m['cpu']}), {m['memory_mb']} MB, {m['platform']}, Python {m['python']}; "
          f"load average at start {m['load_average_at_start'][0]:.1f}, at end {results['load_average_at_end'][0]:.1f}")
    print(f"gunicorn {' '.join(GUNICORN_SETTINGS)}; wrk -t{WRK_THREADS} -c{WRK_CONNECTIONS} -d{results['settings']['duration']}s; "
          f"{results['settings']['reps']} repetitions\n")
    header = f"{'figure':<62} {'engine':<10} {'min':>9} {'median':>9} {'max':>9}  {'target':<8} verdict"
    print(header)
    print("-" * len(header))
    for name, by_engine in results["figures"].items():
        for engine, value in by_engine.items():
            print(f"{name[:62]:<62} {engine:<10} {value['min']:>9g} {value['median']:>9g} {value['max']:>9g}  {target_text(name):<8} "
                  f"{verdict(name, value['median'])}")
            if "queries_xs" in value:
                print(f"{'':<62} {'':<10} queries per page: XS {value['queries_xs']}, large {value['queries_large']}"
                      f"{'' if value['queries_xs'] == value['queries_large'] else '  (GROWS)'}; p95 ms XS {value['p95_ms_xs']}, "
                      f"large {value['p95_ms_large']}")
    for engine, sizes in results["generation"].items():
        print(f"generation on {engine}: " + ", ".join(f"{size} {v['seconds']} s ({v['cpu_seconds']} s CPU)" for size, v in sizes.items()))
    for text in results["notes"]:
        print(f"note: {text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--duration", type=float, default=5, help="seconds per wrk run (B1-B3)")
    parser.add_argument("--engines", default="auto", help="sqlite,postgresql, auto (PostgreSQL when reachable) or none (B4 only)")
    parser.add_argument("--mixed-size", default="M")
    parser.add_argument("--mixed-clients", type=int, default=50)
    parser.add_argument("--mixed-seconds", type=float, default=60)
    parser.add_argument("--growth-size", default="L")
    parser.add_argument("--page-samples", type=int, default=20)
    parser.add_argument("--page-budget", type=float, default=6, help="seconds per page per repetition (B5), at least 5 samples")
    parser.add_argument("--pdf-renders", type=int, default=10, help="renders per repetition for the B4 ratio")
    parser.add_argument("--renders", type=int, default=1000, help="renders for the B4 memory figure (0: skip)")
    parser.add_argument("--issue", type=int, default=3000, help="certificates per bulk issuance")
    parser.add_argument("--issue-pdf", type=int, default=40, help="certificates issued with their PDF (0: skip)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="a smoke run: 1 repetition, short runs, sizes XS/S (figures not comparable)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (databases, gunicorn logs)")
    args = parser.parse_args()
    if args.quick:
        args.reps, args.duration, args.mixed_size, args.mixed_seconds, args.mixed_clients = 1, 2, "S", 8, 10
        args.growth_size, args.page_samples, args.renders, args.issue, args.issue_pdf, args.pdf_renders = "S", 5, 30, 200, 4, 3
    if shutil.which("wrk") is None:
        sys.exit("bench: wrk is not installed (`apt-get install wrk`; `make bench` does it)")

    started = time.perf_counter()
    results = {"started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "commit": commit_id(), "machine": machine(),
               "settings": {**vars(args), "gunicorn": GUNICORN_SETTINGS, "wrk": {"threads": WRK_THREADS, "connections": WRK_CONNECTIONS}},
               "figures": {}, "generation": {}, "notes": [], "raw": {}}
    engines = ["sqlite"]
    reason: list[str] = []
    if args.engines == "auto":
        if postgres_available(reason):
            engines.append("postgresql")
        else:
            results["notes"].append(f"PostgreSQL skipped: {'; '.join(reason)}")
    else:
        engines = [] if args.engines == "none" else args.engines.split(",")
    work = Path(tempfile.mkdtemp(prefix="lms-bench-"))
    secret = secrets.token_urlsafe(32)
    bare = Server("bare", "bare_app:app", dict(os.environ), BENCH, work / "gunicorn-bare.log")
    memory_child: list[subprocess.Popen] = []
    # a stopped run (SIGTERM, Ctrl-C) still prints and saves what it measured, marked partial
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        pdf_data = Dataset("sqlite", "XS", work, args.seed, "pdf")
        if args.renders:
            # RSS is not a timing: this child runs at the lowest priority while the timed work goes on, on an idle
            # core's spare time (when both cores are busy it takes about 1.5 % of one)
            memory_child.append(subprocess.Popen(["nice", "-n", "19", sys.executable, str(BENCH / "inprocess.py"), "memory", pdf_data.url,
                                                  str(pdf_data.instance), str(args.renders)], stdout=subprocess.PIPE, text=True, cwd=ROOT))
        bare.wait("/api/v1/certificates/warm")
        log(f"engines: {', '.join(engines)}; work folder {work}")
        for engine in engines:
            bench_engine(engine, args, work, secret, bare, results)
        bench_pdf(args, pdf_data, results)
        if memory_child:
            output, _ = memory_child[0].communicate()
            memory = json.loads(output.strip().splitlines()[-1])
            results["figures"]["B4 RSS growth over renders (MB)"] = {"in-process": {**spread([memory["growth_mb"]]), **memory}}
            log(f"B4 memory: {memory}")
    except KeyboardInterrupt:
        results["partial"] = True
        results["notes"].append("the run was stopped before the end: figures are partial")
    finally:
        bare.stop()
        for child in memory_child:
            if child.poll() is None:
                child.kill()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
            if "postgresql" in engines:
                labels = ("mixed", "growth_xs", f"growth_{args.growth_size.lower()}", "issue")
                drop = "".join(f"DROP DATABASE IF EXISTS lms_bench_{label};\n" for label in labels)
                subprocess.run(["su", "postgres", "-c", "psql -q"], input=drop, text=True, capture_output=True)
    results["seconds"] = round(time.perf_counter() - started, 1)
    results["load_average_at_end"] = os.getloadavg()
    print_table(results)
    target = BENCH / "results" / f"{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}.json"
    target.parent.mkdir(exist_ok=True)
    target.write_text(json.dumps(results, indent=1, default=str) + "\n")
    print(f"\nbench: {results['seconds']:.0f} s; results appended to {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
