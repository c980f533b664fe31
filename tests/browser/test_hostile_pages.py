"""Hostile names and lesson text opened in a real browser: no script runs, nothing is fetched from elsewhere."""
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from lms.catalog.models import Course
from lms.catalog.services import enrol_learner
from lms.extensions import db
from tests.browser.conftest import log_in
from tests.conftest import PASSWORD, make_user
from tests.hostile import PAYLOADS, XSS
from tests.web.test_hostile_input import _import_lesson

pytestmark = pytest.mark.browser


def test_no_payload_runs_or_fetches_anything(live_server, phone_page, tmp_path):
    base, app = live_server
    allowed = [p for p in PAYLOADS if not p.startswith(("![", "[click"))]
    with app.app_context():
        _import_lesson(tmp_path, "\n\n".join(allowed))
        admin = make_user(db.session, login="admin@example.com", role="admin")
        for index, payload in enumerate(XSS):
            try:
                learner = make_user(db.session, login=f"h{index}@example.com", name="An " + payload, business=payload)
                enrol_learner(db.session, learner.id, db.session.scalar(select(Course)))
                db.session.commit()
            except Exception:
                db.session.rollback()
        enrol_learner(db.session, admin.id, db.session.scalar(select(Course)))
        db.session.commit()
    page = phone_page
    dialogs, foreign = [], []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("request", lambda request: foreign.append(request.url) if urlsplit(request.url).netloc not in (urlsplit(base).netloc, "") and not request.url.startswith("data:") else None)
    log_in(page, base, "admin@example.com", PASSWORD)
    for path in ("/admin/users", "/admin/users?page=2", "/courses/hostile", "/courses/hostile/m/l", "/reports/courses/hostile",
                 f"/courses?q={XSS[1]}", "/admin/audit"):
        response = page.goto(base + path)
        assert response.status < 500, path
    assert dialogs == [] and foreign == []
