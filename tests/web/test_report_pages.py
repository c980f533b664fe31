"""Progress reports for trainers: the learner's own numbers, filters, CSV that Excel opens, permissions, audit."""
import csv
import io
import re
import zipfile

import pytest
from sqlalchemy import select

from lms.accounts.services import find_user_by_login
from lms.audit.models import AuditEvent
from lms.catalog.models import Course, Lesson
from lms.catalog.services import complete_lesson, enrol_learner
from lms.cohorts.access import assign_course_trainer
from lms.cohorts.models import SessionCourse, SessionMember, SessionTrainer, TrainingSession
from lms.credentials.context import issuing_context
from lms.credentials.services import issue_if_due
from lms.db import utcnow
from lms.extensions import db
from tests.conftest import make_course, make_questions, make_user
from tests.services.test_certificate_rules import pass_assessment


@pytest.fixture
def cohort(app, users):
    """A course with three learners at different points, in a session in Đắk Lắk run by the trainer."""
    with app.app_context():
        course = make_course(db.session)
        lessons = list(db.session.scalars(select(Lesson).order_by(Lesson.id)))
        people = [
            make_user(db.session, login="mai@example.com", name="Hoàng Thị Mai", province="dak-lak", business="=HYPERLINK(\"x\")"),
            make_user(db.session, login="0912000111", name="Ê Đê Y Bih", province="dak-lak"),
            make_user(db.session, login="an@example.com", name="Nguyễn Văn An", province="ha-noi"),
        ]
        for done, person in zip((2, 5, 0), people):
            enrol_learner(db.session, person.id, course)
            for lesson in lessons[:done]:
                complete_lesson(db.session, person.id, course, lesson)
        training = TrainingSession(name="Lớp Buôn Ma Thuột", province="dak-lak", starts_on=utcnow().date(), ends_on=utcnow().date())
        db.session.add(training)
        db.session.flush()
        db.session.add(SessionCourse(session_id=training.id, course_id=course.id))
        db.session.add_all([SessionMember(session_id=training.id, user_id=p.id) for p in people[:2]])
        db.session.commit()
        return {"course": course.slug, "course_id": course.id, "session": training.id}


def login(client, who):
    client.post("/login", data={"login": who, "password": "correct-horse-battery"})


def make_trainer_of(app, users, cohort):
    with app.app_context():
        assign_course_trainer(db.session, cohort["course_id"], users["trainer"][0], None)
        db.session.add(SessionTrainer(session_id=cohort["session"], user_id=users["trainer"][0]))
        db.session.commit()


def test_course_report_shows_the_same_numbers_as_the_learners_own_view(client, app, users, cohort):
    make_trainer_of(app, users, cohort)
    login(client, "trainer@example.com")
    page = client.get("/reports/courses/honey-basics").get_data(as_text=True)
    assert "2/5 · 40%" in page and "5/5 · 100%" in page and "0/5 · 0%" in page
    client.post("/logout")
    login(client, "mai@example.com")
    own = client.get("/dashboard").get_data(as_text=True)
    assert re.search(r"2\D+5", own) and "40%" in own


def test_filters_and_sorting(client, app, users, cohort):
    make_trainer_of(app, users, cohort)
    login(client, "trainer@example.com")
    page = client.get("/reports/courses/honey-basics?province=dak-lak").get_data(as_text=True)
    assert "Hoàng Thị Mai" in page and "Nguyễn Văn An" not in page
    page = client.get("/reports/courses/honey-basics?status=lessons_done").get_data(as_text=True)
    assert "Ê Đê Y Bih" in page and "Hoàng Thị Mai" not in page
    page = client.get("/reports/courses/honey-basics?q=nguyen van").get_data(as_text=True)
    assert "Nguyễn Văn An" in page and "Hoàng Thị Mai" not in page
    page = client.get("/reports/courses/honey-basics?sort=progress&province=zzz&status=zzz&page=x").get_data(as_text=True)
    assert page.index("Ê Đê Y Bih") < page.index("Hoàng Thị Mai") < page.index("Nguyễn Văn An")


def test_the_csv_opens_in_excel_with_vietnamese_intact_and_no_formulas(client, app, users, cohort):
    make_trainer_of(app, users, cohort)
    login(client, "trainer@example.com")
    response = client.get("/reports/sessions/%d.csv" % cohort["session"])
    assert response.status_code == 200 and response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][0] == "full_name" and len(rows) == 3  # the two session members, one course
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["Hoàng Thị Mai"][2] == "Đắk Lắk" and by_name["Hoàng Thị Mai"][7] == "40"
    assert by_name["Hoàng Thị Mai"][3].startswith("'=")  # a formula typed as a business name stays text
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "report.exported"))
        assert event.actor_id == users["trainer"][0] and event.detail["rows"] == 2


@pytest.mark.parametrize("path", ["/reports/courses/honey-basics", "/reports/courses/honey-basics.csv", "/reports/sessions/{session}", "/reports/sessions/{session}.csv"])
def test_report_permissions(client, app, users, cohort, path):
    path = path.format(session=cohort["session"])
    assert client.get(path).status_code == 302  # anonymous: sign in
    for role, expected in (("learner", 403), ("verifier", 403), ("trainer", 404), ("admin", 200)):
        login(client, f"{role}@example.com")
        assert client.get(path).status_code == expected, role
        client.post("/logout")
    make_trainer_of(app, users, cohort)
    login(client, "trainer@example.com")
    assert client.get(path).status_code == 200


def test_admins_read_the_audit_log_and_nobody_else_does(client, app, users, cohort):
    make_trainer_of(app, users, cohort)
    login(client, "trainer@example.com")
    client.get("/reports/courses/honey-basics.csv")
    assert client.get("/admin/audit").status_code == 403
    client.post("/logout")
    login(client, "admin@example.com")
    page = client.get("/admin/audit?action=report.").get_data(as_text=True)
    assert "report.exported" in page and "Người dùng trainer" in page
    assert "report.exported" not in client.get("/admin/audit?action=lesson.").get_data(as_text=True)



def test_session_trainers_download_all_certificates_of_the_session_as_one_zip(client, app, users, cohort):
    with app.test_request_context():
        course = db.session.get(Course, cohort["course_id"])
        make_questions(db.session, course)
        bih = find_user_by_login(db.session, "0912000111")
        pass_assessment(db.session, bih.id, course)
        code = issue_if_due(db.session, bih.id, course, issuing_context(), utcnow()).code
        db.session.commit()
    make_trainer_of(app, users, cohort)
    login(client, "trainer@example.com")
    response = client.get("/reports/sessions/%d/certificates.zip" % cohort["session"])
    assert response.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(response.data)).namelist()
    assert names == [f"e-de-y-bih-honey-basics-{code}.pdf"]
    client.post("/logout")
    login(client, "verifier@example.com")
    assert client.get("/reports/sessions/%d/certificates.zip" % cohort["session"]).status_code == 403
