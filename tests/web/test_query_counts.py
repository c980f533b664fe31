"""Pages that list or summarise many records run the same number of SQL queries at every data size (no N+1).

The data comes from `flask lms generate` at XS (10 learners) and S (100 learners); the pages are the
ones whose growth the benchmark measures (B5) plus the API lookups and a lesson page.
"""
import json

import pytest
from conftest import wipe
from sqlalchemy import select

from lms.catalog.models import Course, CourseVersion, Lesson, Module
from lms.extensions import db


@pytest.fixture
def app_config(app_config):
    # every row on one page: more rows rendered, more chances for a query per row to show
    return {**app_config, "PAGE_SIZE": 1000}


def _generate(app, tmp_path, size: str) -> dict:
    target = tmp_path / f"summary-{size}.json"
    result = app.test_cli_runner().invoke(args=["lms", "generate", "--size", size, "--seed", "3", "--summary", str(target)])
    assert result.exit_code == 0, result.output
    return json.loads(target.read_text(encoding="utf-8"))


def _lesson_path(app, slug: str) -> str:
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == slug))
        version = db.session.scalar(select(CourseVersion).where(CourseVersion.course_id == course.id, CourseVersion.number == course.version))
        lesson = db.session.get(Lesson, version.lesson_ids[1])
        module = db.session.get(Module, lesson.module_id)
        return f"/courses/{slug}/{module.slug}/{lesson.slug}"


def _pages(app, summary: dict) -> dict[str, tuple[str, str]]:
    """name -> (role whose demo login asks, path)."""
    pages = {
        "learner dashboard": ("learner", "/dashboard"),
        "lesson page": ("learner", _lesson_path(app, summary["demo_course"])),
        "course progress report": ("trainer", f"/reports/courses/{summary['demo_course']}"),
        "course progress report by activity, one province": ("trainer", f"/reports/courses/{summary['demo_course']}?sort=activity&province=ha-noi"),
        "course progress report searched by name": ("trainer", f"/reports/courses/{summary['demo_course']}?q=nguyen"),
        "session report": ("trainer", f"/reports/sessions/{summary['demo_session_id']}"),
        "certificate status (API)": ("", f"/api/v1/certificates/{summary['certificates']['valid'][0]}"),
        "seller onboarding (API)": ("platform", f"/api/v1/sellers/{summary['sellers']['eligible'][0]}/onboarding"),
    }
    endpoints = set(app.view_functions)
    if "console.sellers" in endpoints:
        pages["verifier seller search"] = ("verifier", "/console/sellers")
        pages["verifier seller search by province"] = ("verifier", "/console/sellers?province=ha-noi")
        pages["verifier seller search by name"] = ("verifier", "/console/sellers?q=nguyen")
    if "console.statistics" in endpoints:
        pages["statistics"] = ("verifier", "/console/statistics")
    return pages


def _query_counts(app, summary: dict, count_queries) -> dict[str, int]:
    logins = {login["role"]: login["login"] for login in summary["demo_logins"]}
    clients = {}
    counts = {}
    for name, (role, path) in _pages(app, summary).items():
        if role not in clients:
            clients[role] = app.test_client()
            if role in logins:
                response = clients[role].post("/login", data={"login": logins[role], "password": summary["password"]})
                assert response.status_code == 302, f"{role} could not log in"
        headers = {"Authorization": f"Bearer {summary['api_token']}"} if role == "platform" else {}
        assert clients[role].get(path, headers=headers).status_code == 200, f"{name}: {path}"  # warm: first-request work is not counted
        with count_queries() as counter:
            assert clients[role].get(path, headers=headers).status_code == 200, f"{name}: {path}"
        counts[name] = counter.count
    return counts


def _growth(app, tmp_path, count_queries) -> dict[str, tuple[int, int]]:
    small = _query_counts(app, _generate(app, tmp_path, "XS"), count_queries)
    wipe(app.extensions["lms_db"].engine)
    larger = _query_counts(app, _generate(app, tmp_path, "S"), count_queries)
    return {name: (small[name], larger.get(name)) for name in small}


def test_list_pages_run_the_same_number_of_queries_at_xs_and_s(app, tmp_path, count_queries):
    counts = _growth(app, tmp_path, count_queries)
    grew = {name: pair for name, pair in counts.items() if pair[0] != pair[1]}
    assert not grew, f"queries per page grew with the data (XS, S): {grew}"
