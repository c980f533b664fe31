"""`flask lms send-reminders`: holders hear by email 60 and 14 days before their certificate ends, once each."""
from datetime import datetime, time, timedelta, timezone

import pytest
from sqlalchemy import select

from lms.catalog.models import CourseVersion
from lms.credentials.models import CertificateEvent
from lms.db import utcnow
from tests.conftest import make_course, make_questions, make_user
from tests.services.test_certificate_rules import context  # noqa: F401  (fixture)
from tests.services.test_webhooks import certify
from tests.web.test_recovery import body_of, smtp  # noqa: F401  (fixture)


@pytest.fixture
def holder(session, context):  # noqa: F811
    course = make_course(session, title="Đóng gói và dán nhãn")
    make_questions(session, course)
    learner = make_user(session, login="nhung@example.vn", name="Nguyễn Thị Hồng Nhung")
    return learner, certify(session, context, learner.id, course), course


def run_on(app, monkeypatch, day):
    monkeypatch.setattr("lms.clock.now", lambda: datetime.combine(day, time(1, 0), tzinfo=timezone.utc))
    result = app.test_cli_runner().invoke(args=["lms", "send-reminders"])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]  # the summary; errors are logged above it


def test_one_email_sixty_days_before_the_end_and_one_fourteen_days_before(app, session, holder, smtp, monkeypatch):  # noqa: F811
    _, certificate, _ = holder
    end = certificate.expires_on
    assert run_on(app, monkeypatch, end - timedelta(days=90)) == "reminders sent 0, failed 0"
    assert run_on(app, monkeypatch, end - timedelta(days=59)) == "reminders sent 1, failed 0"
    assert run_on(app, monkeypatch, end - timedelta(days=58)) == "reminders sent 0, failed 0"  # once, not daily
    assert run_on(app, monkeypatch, end - timedelta(days=14)) == "reminders sent 1, failed 0"
    assert run_on(app, monkeypatch, end - timedelta(days=3)) == "reminders sent 0, failed 0"
    assert run_on(app, monkeypatch, end + timedelta(days=1)) == "reminders sent 0, failed 0"  # ended: the dashboard says so
    (first_to, first), (second_to, second) = smtp
    assert first_to == second_to == ["nhung@example.vn"]
    assert first["Subject"] == f"Chứng nhận “Đóng gói và dán nhãn” của bạn hết hạn vào ngày {end.day} thg {end.month}, {end.year}"
    assert "còn hiệu lực thêm 59 ngày" in body_of(first) and certificate.code in body_of(first)
    assert app.config["PUBLIC_URL"].rstrip("/") + "/certificates\n" in body_of(first)
    assert "còn hiệu lực thêm 14 ngày" in body_of(second)
    actions = session.scalars(select(CertificateEvent.action).where(CertificateEvent.certificate_id == certificate.id).order_by(CertificateEvent.id))
    assert list(actions)[-2:] == ["reminded_60", "reminded_14"]


def test_a_learner_who_chose_english_is_written_to_in_english(app, session, holder, smtp, monkeypatch):  # noqa: F811
    learner, certificate, _ = holder
    learner.locale = "en"
    session.commit()
    run_on(app, monkeypatch, certificate.expires_on - timedelta(days=10))
    (_, message), = smtp
    assert message["Subject"].startswith("Your certificate “Honey basics” ends on ")
    assert "valid for 10 more days" in body_of(message)


def test_a_mail_server_that_refuses_is_tried_again_the_next_day(app, session, holder, smtp, monkeypatch):  # noqa: F811
    _, certificate, _ = holder
    port = app.config["SMTP_PORT"]
    app.config["SMTP_PORT"] = 1  # nothing listens there
    assert run_on(app, monkeypatch, certificate.expires_on - timedelta(days=30)) == "reminders sent 0, failed 1"
    app.config["SMTP_PORT"] = port
    assert run_on(app, monkeypatch, certificate.expires_on - timedelta(days=29)) == "reminders sent 1, failed 0"
    assert len(smtp) == 1


def test_a_recertification_deadline_before_the_expiry_is_reminded_too(app, session, holder, smtp, monkeypatch):  # noqa: F811
    _, certificate, course = holder
    session.add(CourseVersion(course_id=course.id, number=certificate.course_version + 1, lesson_ids=[], content_hash="v2",
                              requires_recertification=True, created_at=utcnow()))
    session.commit()
    deadline = utcnow().date() + timedelta(days=app.config["RECERTIFICATION_GRACE_DAYS"])
    assert deadline < certificate.expires_on - timedelta(days=60)
    assert run_on(app, monkeypatch, deadline - timedelta(days=20)) == "reminders sent 1, failed 0"
    (_, message), = smtp
    assert "còn hiệu lực thêm 20 ngày" in body_of(message)


def test_phone_only_holders_get_no_email(app, session, context, smtp, monkeypatch):  # noqa: F811
    course = make_course(session)
    make_questions(session, course)
    learner = make_user(session, login="0912345678")
    certificate = certify(session, context, learner.id, course)
    assert run_on(app, monkeypatch, certificate.expires_on - timedelta(days=10)) == "reminders sent 0, failed 0"
    assert smtp == []


def test_without_a_mail_server_the_command_says_so_and_fails(app, holder):
    result = app.test_cli_runner().invoke(args=["lms", "send-reminders"])
    assert result.exit_code != 0 and "LMS_SMTP_HOST" in result.output
