"""Taking the final assessment over HTTP: nothing to peek at, answers saved and resumed, bad input refused."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

import lms.clock
from lms.assessment.models import Attempt, AttemptItem
from lms.catalog.models import Course
from lms.catalog.services import enrol_learner
from lms.cohorts.access import assign_course_trainer
from lms.db import utcnow
from lms.extensions import db
from tests.conftest import make_course, make_questions, make_user

RIGHT = {"single": 0, "multiple": [0, 1], "truefalse": False, "short": "Kg", "numerical": "24,5",
         "matching": ["Sàn thương mại điện tử", "Mạng xã hội video", "Ứng dụng nhắn tin"]}
WRONG = {"single": 2, "multiple": [2], "truefalse": True, "short": "gam", "numerical": "99", "matching": ["Ứng dụng nhắn tin"]}
ANSWER_KEY_TEXTS = ("Đúng, tránh ẩm", "Nắng làm hỏng mật", "Không được quảng cáo", "ki lô gam", "%50%", "-100", "fraction", "feedback")


@pytest.fixture
def course(app, users):
    with app.app_context():
        course = make_course(db.session)
        make_questions(db.session, course)
        enrol_learner(db.session, users["learner"][0], course)
        db.session.commit()
        return course.slug


def login(client, who="learner@example.com"):
    client.post("/login", data={"login": who, "password": "correct-horse-battery"})


def start(client, slug="honey-basics") -> int:
    response = client.post(f"/courses/{slug}/assessment/start")
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/assessment/attempts/(\d+)$", response.headers["Location"]).group(1))


def form_for(app, attempt_id, answers) -> dict:
    """The form a learner would send, using the displayed positions of this attempt's shuffle."""
    data = {}
    with app.app_context():
        for item in db.session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt_id)):
            kind, name, answer = item.question_data["kind"], f"q{item.position}", answers[item.question_data["kind"]]
            if kind == "single":
                data[name] = str(item.choice_order.index(answer))
            elif kind == "multiple":
                data[name] = [str(item.choice_order.index(i)) for i in answer]
            elif kind == "truefalse":
                data[name] = "true" if answer else "false"
            elif kind == "matching":
                for pair, text in enumerate(answer):
                    data[f"{name}-{pair}"] = str(item.match_options.index(text))
            else:
                data[name] = answer
    return data


def attempt_row(app, attempt_id):
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        return attempt.status, attempt.score, [item.response for item in attempt.items]


def test_the_attempt_page_holds_no_answer_key(client, app, course):
    login(client)
    attempt_id = start(client)
    page = client.get(f"/assessment/attempts/{attempt_id}").get_data(as_text=True)
    assert "Mật ong nên bảo quản ở đâu?" in page and "Nơi khô mát" in page
    for secret in ANSWER_KEY_TEXTS:
        assert secret not in page, secret
    # choices are named by their place on the page, 0..n-1, never by their place in the bank
    assert set(re.findall(r'type="radio" id="q\d+-\d+" name="q\d+" value="(\w+)"', page)) <= {"0", "1", "2"}


def test_answers_are_saved_and_shown_again_then_scored_on_submission(client, app, course):
    login(client)
    attempt_id = start(client)
    data = form_for(app, attempt_id, RIGHT)
    response = client.post(f"/assessment/attempts/{attempt_id}", data={**data, "action": "save"})
    assert response.status_code == 302
    page = client.get(f"/assessment/attempts/{attempt_id}").get_data(as_text=True)
    assert 'value="24,5"' in page and "checked" in page and "selected" in page
    assert attempt_row(app, attempt_id)[0] == "in_progress"
    # finishing asks for confirmation first; only the confirmation submits
    response = client.post(f"/assessment/attempts/{attempt_id}", data={**data, "action": "finish"})
    assert response.headers["Location"].endswith(f"/assessment/attempts/{attempt_id}/submit")
    assert re.search(r"\b14\b\D+\b14\b", client.get(response.headers["Location"]).get_data(as_text=True))
    assert client.post(f"/assessment/attempts/{attempt_id}/submit").status_code == 302
    status, score, _ = attempt_row(app, attempt_id)
    assert status == "submitted" and score == 100
    review = client.get(f"/assessment/attempts/{attempt_id}/review").get_data(as_text=True)
    assert "100" in review and "Đúng, tránh ẩm" in review  # feedback, after submission
    assert "/courses/honey-basics" in client.get("/courses/honey-basics/assessment").get_data(as_text=True)


def test_a_failed_first_attempt_shows_feedback_but_not_the_right_answers(client, app, course):
    login(client)
    attempt_id = start(client)
    client.post(f"/assessment/attempts/{attempt_id}", data=form_for(app, attempt_id, WRONG))
    client.post(f"/assessment/attempts/{attempt_id}/submit")
    review = client.get(f"/assessment/attempts/{attempt_id}/review").get_data(as_text=True)
    assert "Trong tủ đông" in review  # the learner's own answer
    # feedback of answers not chosen and the right answers stay hidden after a first failure
    assert "Nắng làm hỏng mật" not in review and "Đúng, tránh ẩm" not in review
    assert "ki lô gam" not in review and "Nơi khô mát" not in review


def test_a_second_submission_changes_nothing(client, app, course):
    login(client)
    attempt_id = start(client)
    client.post(f"/assessment/attempts/{attempt_id}", data=form_for(app, attempt_id, WRONG))
    client.post(f"/assessment/attempts/{attempt_id}/submit")
    before = attempt_row(app, attempt_id)
    assert client.post(f"/assessment/attempts/{attempt_id}/submit").status_code == 302
    response = client.post(f"/assessment/attempts/{attempt_id}", data=form_for(app, attempt_id, RIGHT))
    assert response.headers["Location"].endswith("/review")
    assert attempt_row(app, attempt_id) == before


def test_a_malformed_number_or_an_overlong_answer_is_refused_with_a_message(client, app, course):
    login(client)
    attempt_id = start(client)
    data = form_for(app, attempt_id, dict(RIGHT, numerical="12,3,4"))
    response = client.post(f"/assessment/attempts/{attempt_id}", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "aria-invalid" in page and "12,3,4" in page
    data = form_for(app, attempt_id, dict(RIGHT, short="x" * 500))
    assert client.post(f"/assessment/attempts/{attempt_id}", data=data).status_code == 422
    assert attempt_row(app, attempt_id)[2] == [None] * 14


def positions(app, attempt_id) -> dict[str, int]:
    with app.app_context():
        items = db.session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt_id))
        return {item.question_data["title"]: item.position for item in items}


@pytest.mark.parametrize("tamper", ["unknown question", "choice out of range", "unknown pair", "two texts", "stray field"])
def test_answers_to_questions_not_in_the_attempt_are_rejected(client, app, course, tamper):
    login(client)
    attempt_id = start(client)
    where = positions(app, attempt_id)
    data = form_for(app, attempt_id, RIGHT)
    data.update({
        "unknown question": {"q99": "0"},
        "choice out of range": {f"q{where['basics-single']}": "7"},
        "unknown pair": {f"q{where['basics-matching']}-5": "0"},
        "two texts": {f"q{where['basics-short']}": ["kg", "g"]},
        "stray field": {"score": "100"},
    }[tamper])
    assert client.post(f"/assessment/attempts/{attempt_id}", data=data).status_code == 400
    assert attempt_row(app, attempt_id)[2] == [None] * 14


def test_someone_elses_attempt_is_not_found(client, app, course, users):
    login(client)
    attempt_id = start(client)
    client.post("/logout")
    with app.app_context():
        intruder = make_user(db.session, login="intruder@example.com")
        enrol_learner(db.session, intruder.id, db.session.scalar(select(Course).where(Course.slug == course)))
        db.session.commit()
    login(client, "intruder@example.com")
    assert client.get(f"/assessment/attempts/{attempt_id}").status_code == 404
    assert client.post(f"/assessment/attempts/{attempt_id}", data=form_for(app, attempt_id, WRONG)).status_code == 404
    assert client.post(f"/assessment/attempts/{attempt_id}/submit").status_code == 404
    assert client.get(f"/assessment/attempts/{attempt_id}/review").status_code == 404
    assert attempt_row(app, attempt_id) == ("in_progress", None, [None] * 14)


def test_the_assessment_needs_an_enrolment(client, app, course):
    login(client, "trainer@example.com")
    response = client.post("/courses/honey-basics/assessment/start")
    assert response.headers["Location"].endswith("/courses/honey-basics/assessment")
    with app.app_context():
        assert db.session.scalar(select(Attempt)) is None


def test_english_learners_take_it_in_english(client, app, course):
    login(client)
    client.post("/language", data={"lang": "en"})
    attempt_id = start(client)
    page = client.get(f"/assessment/attempts/{attempt_id}").get_data(as_text=True)
    assert "Where should honey be stored?" in page and "Final assessment" in page


def test_trainers_see_question_statistics_and_learners_do_not(client, app, course, users):
    login(client)
    attempt_id = start(client)
    client.post(f"/assessment/attempts/{attempt_id}", data=form_for(app, attempt_id, WRONG))
    client.post(f"/assessment/attempts/{attempt_id}/submit")
    assert client.get("/courses/honey-basics/assessment/statistics").status_code == 403
    client.post("/logout")
    login(client, "trainer@example.com")
    assert client.get("/courses/honey-basics/assessment/statistics").status_code == 404  # not one of their courses
    with app.app_context():
        course_id = db.session.scalar(select(Course.id).where(Course.slug == course))
        assign_course_trainer(db.session, course_id, users["trainer"][0], None)
        db.session.commit()
    page = client.get("/courses/honey-basics/assessment/statistics").get_data(as_text=True)
    assert "basics-single" in page and "Trong tủ đông" in page and "0%" in page


def test_course_page_and_dashboard_show_the_assessment_state(client, app, course):
    login(client)
    attempt_id = start(client)
    client.post(f"/assessment/attempts/{attempt_id}", data=form_for(app, attempt_id, RIGHT))
    client.post(f"/assessment/attempts/{attempt_id}/submit")
    for path in ("/courses/honey-basics", "/dashboard"):
        page = client.get(path).get_data(as_text=True)
        assert "Bài kiểm tra cuối khóa" in page and "đạt" in page, path


def test_answers_sent_after_the_time_limit_are_not_kept_and_the_attempt_is_scored(client, app, course, monkeypatch):
    with app.app_context():
        db.session.scalar(select(Course).where(Course.slug == course)).time_limit_minutes = 10
        db.session.commit()
    login(client)
    attempt_id = start(client)
    later = utcnow() + timedelta(minutes=15)
    monkeypatch.setattr(lms.clock, "now", lambda: later)
    response = client.post(f"/assessment/attempts/{attempt_id}", data=form_for(app, attempt_id, RIGHT))
    assert response.headers["Location"].endswith(f"/assessment/attempts/{attempt_id}/review")
    assert attempt_row(app, attempt_id) == ("submitted", 0.0, [None] * 14)
    assert "Đã hết giờ" in client.get(response.headers["Location"]).get_data(as_text=True)
