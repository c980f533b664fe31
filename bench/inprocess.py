"""In-process benchmarks: B4 (certificate PDF against a one-line WeasyPrint document, memory over many renders),
bulk issuance on both cores, and SQL queries per page (B5). Run by bench/run.py; `python bench/inprocess.py
memory N` and `... issue ...` are the child processes it starts."""
from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "static"


def rss_mb() -> float:
    """Resident memory of this process now (not the peak), in MB."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def sample_certificate(app):
    """The claims and QR link of a real generated certificate (a Vietnamese name, a real JWS in the link)."""
    from sqlalchemy import select

    from lms.credentials.claims import CertificateClaims
    from lms.credentials.models import Certificate
    from lms.credentials.services import verify_link
    from lms.extensions import db

    with app.app_context():
        certificate = db.session.scalar(select(Certificate).order_by(Certificate.id))
        return CertificateClaims.from_json(certificate.claims), verify_link(app.config["PUBLIC_URL"], certificate)


def render_once(claims, link) -> bytes:
    from lms.credentials.pdf import render_certificate_pdf

    return render_certificate_pdf(claims, link, STATIC)


def one_line() -> bytes:
    from weasyprint import HTML

    return HTML(string="<p>OCOP Seller Academy</p>").write_pdf()


def pdf_ratio(claims, link, renders: int) -> dict:
    """Median certificate render and median one-line render, interleaved in this (warm) process."""
    for _ in range(3):
        render_once(claims, link)
        one_line()
    certificate, baseline = [], []
    for _ in range(renders):
        started = time.perf_counter()
        render_once(claims, link)
        certificate.append(time.perf_counter() - started)
        started = time.perf_counter()
        one_line()
        baseline.append(time.perf_counter() - started)
    cert_ms, line_ms = 1000 * statistics.median(certificate), 1000 * statistics.median(baseline)
    return {"certificate_ms": round(cert_ms, 1), "one_line_ms": round(line_ms, 1), "ratio": round(cert_ms / line_ms, 2)}


def memory_growth(claims, link, renders: int) -> dict:
    """RSS after 20 warm-up renders, and after `renders` more: the growth is what leaks or accumulates."""
    for _ in range(20):
        render_once(claims, link)
    start = rss_mb()
    started = time.perf_counter()
    for _ in range(renders):
        render_once(claims, link)
    return {"renders": renders, "rss_start_mb": round(start, 1), "rss_end_mb": round(rss_mb(), 1),
            "growth_mb": round(rss_mb() - start, 1), "seconds": round(time.perf_counter() - started, 1)}


def make_app(database_url: str, instance: str, **overrides):
    from lms import create_app

    return create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": instance, **overrides})


def issue_worker(database_url: str, instance: str, pairs: list[tuple[int, int]], with_pdf: bool, start_at: float) -> dict:
    """Issue the certificates due for these (user, course) pairs, one transaction each, as `flask lms issue-certificates` does."""
    from lms import clock
    from lms.catalog.models import Course
    from lms.credentials.context import issuing_context, prepare_pdf_quietly
    from lms.credentials.services import issue_if_due
    from lms.extensions import db

    app = make_app(database_url, instance)
    issued = 0
    with app.app_context():
        context = issuing_context()
        courses = {course_id: db.session.get(Course, course_id) for course_id in {c for _, c in pairs}}
        db.session.commit()
        while time.time() < start_at:
            time.sleep(0.01)
        started = time.perf_counter()
        for user_id, course_id in pairs:
            certificate = issue_if_due(db.session, user_id, courses[course_id], context, clock.now())
            db.session.commit()
            if certificate is not None:
                issued += 1
                if with_pdf:
                    prepare_pdf_quietly(db.session, certificate)
        elapsed = time.perf_counter() - started
    return {"issued": issued, "seconds": elapsed}


def bulk_issue(database_url: str, instance: str, pairs: list[tuple[int, int]], processes: int, with_pdf: bool) -> dict:
    """Issue every pair's certificate with `processes` worker processes (both cores); certificates per second."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    start_at = time.time() + 8  # the workers import the app first; all start issuing together
    shares = [pairs[n::processes] for n in range(processes)]
    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(issue_worker, database_url, instance, share, with_pdf, start_at) for share in shares]
        results = [future.result() for future in futures]
    issued = sum(r["issued"] for r in results)
    seconds = max(r["seconds"] for r in results)
    return {"certificates": issued, "processes": processes, "seconds": round(seconds, 2), "per_second": round(issued / seconds, 1),
            "with_pdf": with_pdf}


def query_counts(database_url: str, instance: str, pages: dict[str, tuple[str, str]], logins: dict[str, str], password: str,
                 token: str) -> dict[str, int]:
    """SQL statements per page, through the test client (second request: first-request work is not counted)."""
    from sqlalchemy import event

    app = make_app(database_url, instance, WTF_CSRF_ENABLED=False, LOGIN_RATE_LIMIT="100000 per minute",
                   VERIFY_RATE_LIMIT="100000 per minute")
    engine = app.extensions["lms_db"].engine
    counts, clients = {}, {}
    for name, (role, path) in pages.items():
        if role not in clients:
            clients[role] = app.test_client()
            if role in logins:
                clients[role].post("/login", data={"login": logins[role], "password": password})
        headers = {"Authorization": f"Bearer {token}"} if role == "platform" else {}
        clients[role].get(path, headers=headers)
        seen = []
        listener = lambda *args, **kwargs: seen.append(1)  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            status = clients[role].get(path, headers=headers).status_code
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        counts[name] = len(seen) if status == 200 else -status
    engine.dispose()
    return counts


def main(argv: list[str]) -> None:
    """Child process entry: `memory DATABASE_URL INSTANCE RENDERS` prints one JSON line."""
    if argv[0] == "memory":
        app = make_app(argv[1], argv[2])
        claims, link = sample_certificate(app)
        print(json.dumps(memory_growth(claims, link, int(argv[3]))), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
