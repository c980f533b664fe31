"""Integrity under faults: many simultaneous writers, and processes killed in the middle of long jobs."""
import collections
import os
import random
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.assessment.models import Attempt
from lms.assessment.services import save_answers, start_attempt, submit_attempt
from lms.catalog.learning_models import LessonProgress
from lms.catalog.models import Course, Lesson
from lms.catalog.services import complete_lesson, enrol_learner, outline
from lms.credentials.models import Certificate
from lms.db import utcnow
from lms.extensions import db
from lms.onboarding.clients import create_client
from lms.onboarding.models import WebhookEvent
from lms.onboarding.webhooks import enqueue, verify_signature
from tests.conftest import make_course, make_questions, make_user

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
RIGHT = {"single": 0, "multiple": [0, 1], "truefalse": False, "short": "kg", "numerical": "24",
         "matching": {"0": "Sàn thương mại điện tử", "1": "Mạng xã hội video", "2": "Ứng dụng nhắn tin"}}


def run_together(count: int, work) -> list[BaseException]:
    """Start `count` threads at the same instant; return what they raised."""
    barrier, errors = threading.Barrier(count), []

    def runner(index):
        barrier.wait()
        try:
            work(index)
        except BaseException as error:  # collected and asserted on by the test
            errors.append(error)

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return errors


def test_fifty_simultaneous_submissions_and_completions_count_once_each(app):
    with app.app_context():
        course = make_course(db.session)
        make_questions(db.session, course)
        learners = [make_user(db.session, login=f"l{i}@example.com") for i in range(25)]
        for learner in learners:
            enrol_learner(db.session, learner.id, course)
        db.session.commit()
        first_lesson = outline(db.session, course)[0][1][0].id
        attempts = []
        for learner in learners:
            attempt = start_attempt(db.session, learner.id, course, "vi", utcnow())
            save_answers(db.session, attempt, {i.position: RIGHT[i.question_data["kind"]] for i in attempt.items}, utcnow())
            attempts.append(attempt.id)
        db.session.commit()
        engine, course_id, user_ids = db.engine, course.id, [learner.id for learner in learners]

    def submit_and_complete(index):
        with Session(engine) as session:
            attempt = session.get(Attempt, attempts[index % 25])  # two submissions race for each of 25 attempts
            submit_attempt(session, attempt, utcnow())
            session.commit()
        with Session(engine) as session:
            complete_lesson(session, user_ids[index % 25], session.get(Course, course_id), session.get(Lesson, first_lesson))
            session.commit()

    errors = run_together(50, submit_and_complete)
    assert errors == [], errors[:3]
    with app.app_context():
        scored = list(db.session.scalars(select(Attempt).where(Attempt.id.in_(attempts[:25]))))
        assert all(a.status == "submitted" and a.score == 100 for a in scored)
        completions = db.session.scalar(select(func.count()).select_from(LessonProgress).where(LessonProgress.completed_at.is_not(None)))
        assert completions == 25


def flask_command(database_url: str, instance: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "wsgi", "lms", *args]


def cli_env(database_url: str, instance: Path) -> dict:
    return {**os.environ, "LMS_DATABASE_URL": database_url, "LMS_INSTANCE_PATH": str(instance), "LMS_SECRET_KEY": "faults"}


def kill_midway(command: list[str], env: dict, after: float) -> None:
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(after)
    process.send_signal(signal.SIGKILL)
    process.wait(30)


def test_an_import_killed_midway_leaves_whole_courses_and_the_rerun_completes(app, database_url, tmp_path):
    env = cli_env(database_url, tmp_path)
    kill_midway(flask_command(database_url, tmp_path, "import-content"), env, after=random.uniform(1.5, 3.0))
    with app.app_context():
        for course in db.session.scalars(select(Course)):
            # a course is there whole (with its version and lessons) or not at all
            assert course.versions and db.session.scalar(select(func.count()).select_from(Lesson).join(Lesson.module).where(
                Lesson.module.property.mapper.class_.course_id == course.id)) == len(course.versions[-1].lesson_ids)
    result = subprocess.run(flask_command(database_url, tmp_path, "import-content"), cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Course)) == 4


def test_bulk_issuance_killed_midway_is_consistent_and_the_rerun_issues_the_rest(app, database_url, tmp_path):
    with app.test_request_context():
        course = make_course(db.session)
        make_questions(db.session, course)
        lessons = [lesson for _, module_lessons in outline(db.session, course) for lesson in module_lessons]
        for index in range(20):
            learner = make_user(db.session, login=f"b{index}@example.com")
            enrol_learner(db.session, learner.id, course)
            attempt = start_attempt(db.session, learner.id, course, "vi", utcnow())
            save_answers(db.session, attempt, {i.position: RIGHT[i.question_data["kind"]] for i in attempt.items}, utcnow())
            submit_attempt(db.session, attempt, utcnow())
            for lesson in lessons:
                complete_lesson(db.session, learner.id, course, lesson)
        db.session.commit()
    env = cli_env(database_url, tmp_path)
    subprocess.run(flask_command(database_url, tmp_path, "keys", "create"), cwd=ROOT, env=env, check=True, capture_output=True)
    kill_midway(flask_command(database_url, tmp_path, "issue-certificates"), env, after=random.uniform(1.0, 3.0))
    with app.app_context():
        partial = list(db.session.scalars(select(Certificate)))
        assert all(c.jws and c.status == "active" for c in partial)
    result = subprocess.run(flask_command(database_url, tmp_path, "issue-certificates"), cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    with app.app_context():
        per_learner = db.session.execute(select(Certificate.user_id, func.count()).group_by(Certificate.user_id)).all()
        assert len(per_learner) == 20 and {count for _, count in per_learner} == {1}


class _StallingReceiver(BaseHTTPRequestHandler):
    """A platform's endpoint that answers 200, except that it holds the n-th request until told to let go."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        server = self.server
        with server.lock:
            server.received.append((self.headers["X-OCOP-Delivery"],
                                    verify_signature(server.secret, self.headers["X-OCOP-Timestamp"], body, self.headers["X-OCOP-Signature"], utcnow())))
            stall = len(server.received) == server.stall_at
        if stall:
            server.stalled.set()
            server.release.wait(60)
        try:
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
        except OSError:
            pass  # the sender was killed while we held its request

    def log_message(self, *args):
        pass


def test_webhook_delivery_killed_midway_loses_no_event_and_the_rerun_delivers_the_rest(app, database_url, tmp_path):
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), _StallingReceiver)
    receiver.received, receiver.lock, receiver.stall_at = [], threading.Lock(), 3
    receiver.stalled, receiver.release = threading.Event(), threading.Event()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        with app.app_context():
            client, _ = create_client(db.session, "TikTok Shop", ["sellers:read"], None)
            client.webhook_url, receiver.secret = f"http://127.0.0.1:{receiver.server_port}/hooks", client.webhook_secret
            ids = [enqueue(db.session, "seller.eligibility_changed", {"seller_code": f"OCOP-{n}"}, utcnow())[0].id for n in range(6)]
            db.session.commit()
        env = {**cli_env(database_url, tmp_path), "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
        sender = subprocess.Popen(flask_command(database_url, tmp_path, "deliver-webhooks"), cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert receiver.stalled.wait(60), "the third event never arrived"
        sender.send_signal(signal.SIGKILL)  # killed while the receiver holds the third event
        sender.wait(30)
        receiver.release.set()
        with app.app_context():
            rows = {e.id: e for e in db.session.scalars(select(WebhookEvent))}
            # the first two were answered and their mark committed; the third was in flight: pending, as if never sent
            assert [i for i in ids if rows[i].delivered_at is not None] == ids[:2]
            assert all(rows[i].attempts == 0 and rows[i].given_up_at is None for i in ids[2:])

        rerun = subprocess.run(flask_command(database_url, tmp_path, "deliver-webhooks"), cwd=ROOT, env=env, capture_output=True, text=True)
        assert rerun.returncode == 0, rerun.stderr
        assert "delivered 4" in rerun.stdout
        with app.app_context():
            rows = list(db.session.scalars(select(WebhookEvent)))
            assert len(rows) == 6 and all(e.delivered_at is not None and e.attempts == 1 and e.given_up_at is None for e in rows)
        # at least once: the one in flight at the kill arrived twice under the same X-OCOP-Delivery, so receivers can drop it
        deliveries = collections.Counter(delivery for delivery, _ in receiver.received)
        assert deliveries == collections.Counter({str(i): 2 if i == ids[2] else 1 for i in ids})
        assert all(signed for _, signed in receiver.received)
    finally:
        receiver.release.set()
        receiver.shutdown()
        receiver.server_close()
