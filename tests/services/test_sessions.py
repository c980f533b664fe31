"""Training sessions: details, trainers, members, enrolment in the session's courses, roster imports."""
import time
from datetime import date

import pytest
from sqlalchemy import func, select

from lms.accounts.identity import InvalidValue
from lms.accounts.models import User
from lms.accounts.services import authenticate
from lms.audit.models import AuditEvent
from lms.catalog.learning_models import ACTIVE, LEFT, Enrolment
from lms.catalog.models import DRAFT
from lms.catalog.services import enrol_learner, unenrol_learner
from lms.cohorts import services
from lms.cohorts.models import SessionMember, SessionTrainer
from lms.cohorts.roster import parse_roster
from lms.cohorts.services import (
    ADD, ALREADY, CREATE, REJECTED, NewMember, SessionDetails, add_member, add_trainer, apply_roster, create_member,
    create_session, detail_problems, enrol_many, learner_sessions, plan_roster, remove_member, remove_trainer, update_session,
)
from lms.db import utcnow
from lms.text import fold
from tests.conftest import make_course, make_user

HEADER = "full_name,phone,email,province,business_name\n"


def details(**changes) -> SessionDetails:
    values = dict(name="Bán hàng online cho HTX cà phê", province="dak-lak", place="Hội trường tỉnh, Buôn Ma Thuột", online_url="",
                  starts_on=date(2026, 3, 2), ends_on=date(2026, 3, 4), notes="")
    return SessionDetails(**{**values, **changes})


@pytest.fixture
def trainer(session):
    return make_user(session, role="trainer", login="trainer@example.com", name="Lê Văn Dạy")


@pytest.fixture
def training(session, trainer):
    course = make_course(session)
    created = create_session(session, details(), [course.id], trainer.id)
    session.commit()
    return created


def count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def fast_learners(session, n, prefix="old"):
    """Existing learner accounts without paying for n Argon2 hashes."""
    users = [User(email=f"{prefix}{i}@example.vn", full_name=f"Học viên cũ {i}", name_search=fold(f"Hoc vien cu {i}"),
                  password_hash="!", province="dak-lak", role="learner") for i in range(n)]
    session.add_all(users)
    session.commit()
    return users


def test_a_new_session_has_its_creator_as_trainer_and_only_published_courses(session, trainer):
    published = make_course(session)
    draft = make_course(session, slug="draft-course")
    draft.status = DRAFT
    session.commit()
    training = create_session(session, details(), [published.id, draft.id], trainer.id)
    session.commit()
    assert session.scalars(select(SessionTrainer.user_id).where(SessionTrainer.session_id == training.id)).all() == [trainer.id]
    assert [c.id for c in services.session_courses(session, training.id)] == [published.id]
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "session.created"))
    assert (event.actor_id, event.object_id, event.detail) == (trainer.id, str(training.id), {"courses": 1})


@pytest.mark.parametrize("changes,field,code", [
    ({"online_url": "http://meet.example.vn/x"}, "online_url", "url_https"),
    ({"online_url": "javascript:alert(1)"}, "online_url", "url_https"),
    ({"place": "", "online_url": ""}, "place", "place_or_link"),
    ({"ends_on": date(2026, 3, 1)}, "ends_on", "dates_order"),
    ({"province": "atlantis"}, "province", "province_unknown"),
    ({"name": "  "}, "name", "name_required"),
])
def test_session_details_are_checked(changes, field, code):
    assert detail_problems(details(**changes)) == {field: code}


def test_an_online_session_on_one_day_is_fine():
    assert detail_problems(details(place="", online_url="https://meet.example.vn/ocop", ends_on=date(2026, 3, 2))) == {}


def test_adding_a_learner_enrols_them_in_every_course_of_the_session(session, training, trainer):
    second = make_course(session, slug="livestream", title="Livestream")
    update_session(session, training, details(), [c.id for c in services.session_courses(session, training.id)] + [second.id], trainer.id)
    learner = make_user(session)
    outcome = add_member(session, training, learner, trainer.id)
    session.commit()
    assert outcome.added and outcome.not_enrolled == []
    assert count(session, Enrolment, Enrolment.user_id == learner.id, Enrolment.status == ACTIVE) == 2
    assert [s.id for s, _ in learner_sessions(session, learner.id)] == [training.id]


def test_missing_prerequisites_still_add_the_learner_and_name_the_course(session, training, trainer):
    advanced = make_course(session, slug="advanced", title="Nâng cao", prerequisites=["honey-basics"])
    update_session(session, training, details(), [c.id for c in services.session_courses(session, training.id)] + [advanced.id], trainer.id)
    learner = make_user(session)
    outcome = add_member(session, training, learner, trainer.id)
    session.commit()
    assert outcome.added and [c.slug for c in outcome.not_enrolled] == ["advanced"]
    basics = next(c for c in services.session_courses(session, training.id) if c.slug == "honey-basics")
    assert session.scalars(select(Enrolment.course_id).where(Enrolment.user_id == learner.id)).all() == [basics.id]


def test_adding_twice_changes_nothing_and_non_learners_are_refused(session, training, trainer):
    learner = make_user(session)
    add_member(session, training, learner, trainer.id)
    assert not add_member(session, training, learner, trainer.id).added
    with pytest.raises(InvalidValue) as error:
        add_member(session, training, trainer, trainer.id)
    assert error.value.code == "not_learner"


def test_removing_keeps_the_row_and_adding_again_reuses_it(session, training, trainer):
    learner = make_user(session)
    add_member(session, training, learner, trainer.id)
    assert remove_member(session, training, learner.id, trainer.id)
    assert not remove_member(session, training, learner.id, trainer.id)
    member = session.scalar(select(SessionMember).where(SessionMember.user_id == learner.id))
    assert member.removed_at is not None
    assert learner_sessions(session, learner.id) == []
    add_member(session, training, learner, trainer.id)
    session.commit()
    assert count(session, SessionMember) == 1 and member.removed_at is None
    actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-3:] == ["session.member_added", "session.member_removed", "session.member_added"]


def test_a_created_member_logs_in_with_the_temporary_password_once_shown(session, training, trainer):
    outcome, password = create_member(session, training, NewMember(login="0987 654 321", full_name="Phạm Thị Mai", province="dak-lak"), trainer.id)
    session.commit()
    assert outcome.user.phone == "+84987654321" and outcome.user.role == "learner"
    assert password not in outcome.user.password_hash
    assert authenticate(session, "0987654321", password) is not None
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "session.member_added"))
    assert event.detail == {"user_id": outcome.user.id, "created": True, "not_enrolled": 0}


def test_trainers_are_added_and_removed_but_the_last_one_stays(session, training, trainer):
    other = make_user(session, role="trainer")
    learner = make_user(session)
    assert add_trainer(session, training, other.id, trainer.id)
    assert not add_trainer(session, training, other.id, trainer.id)
    with pytest.raises(InvalidValue):
        add_trainer(session, training, learner.id, trainer.id)
    assert remove_trainer(session, training, trainer.id, trainer.id)
    with pytest.raises(InvalidValue) as error:
        remove_trainer(session, training, other.id, trainer.id)
    assert error.value.code == "last_trainer"


def test_a_course_added_to_the_session_later_enrols_its_members(session, training, trainer):
    learner = make_user(session)
    add_member(session, training, learner, trainer.id)
    later = make_course(session, slug="later", title="Sau")
    report = update_session(session, training, details(name="Tên mới"), [c.id for c in services.session_courses(session, training.id)] + [later.id], trainer.id)
    session.commit()
    assert report.learners == 1 and report.blocked == []
    assert count(session, Enrolment, Enrolment.user_id == learner.id, Enrolment.course_id == later.id) == 1
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "session.updated"))
    assert event.detail == {"fields": ["name"], "courses_added": 1, "courses_removed": 0}


def test_batch_enrolment_follows_the_same_rules_as_enrol_learner(session):
    basics = make_course(session)
    advanced = make_course(session, slug="advanced", title="Nâng cao", prerequisites=["honey-basics"])
    one, two = make_user(session), make_user(session)
    # one left the course earlier, on version 1; the course has moved on to version 2 since
    enrol_learner(session, one.id, basics)
    unenrol_learner(session, one.id, basics)
    basics.version = 2
    session.commit()
    blocked = enrol_many(session, [one.id], [basics, advanced], utcnow())
    enrol_learner(session, two.id, basics)
    with pytest.raises(Exception):
        enrol_learner(session, two.id, advanced)
    session.commit()
    assert [c.slug for c in blocked[one.id]] == ["advanced"]
    mine, theirs = (session.scalar(select(Enrolment).where(Enrolment.user_id == u.id, Enrolment.course_id == basics.id)) for u in (one, two))
    assert (mine.status, mine.left_at, mine.version) == (ACTIVE, None, 1)
    assert (theirs.status, theirs.version) == (ACTIVE, 2)
    assert count(session, Enrolment, Enrolment.status == LEFT) == 0


def roster_of(*lines: str):
    return parse_roster((HEADER + "".join(line + "\n" for line in lines)).encode())


def test_the_plan_says_what_each_row_would_do_and_writes_nothing(session, training, trainer):
    member = make_user(session, login="member@example.vn", name="Đã Vào")
    add_member(session, training, member, trainer.id)
    make_user(session, login="other@example.vn", name="Chưa Vào")
    make_user(session, login="0912000001", name="Có Số")
    make_user(session, login="third@example.vn", name="Người Thứ Ba")
    session.commit()
    plan = plan_roster(session, training.id, roster_of(
        "Mới Một,0912000002,,Đắk Lắk,",
        "Chưa Vào,,other@example.vn,Đắk Lắk,",
        "Đã Vào,,member@example.vn,Đắk Lắk,",
        "Huấn Luyện,,trainer@example.com,Đắk Lắk,",
        "Hai Người,0912000001,third@example.vn,Đắk Lắk,",
        "Chưa Vào,,OTHER@example.vn,Đắk Lắk,",
        "Sai Tỉnh,0912000003,,Atlantis,",
    ))
    assert [(p.row.line, p.outcome, [x.code for x in p.problems]) for p in plan.rows] == [
        (2, CREATE, []), (3, ADD, []), (4, ALREADY, []), (5, REJECTED, ["not_learner"]),
        (6, REJECTED, ["two_accounts"]), (7, REJECTED, ["duplicate"]), (8, REJECTED, ["province_unknown"]),
    ]
    assert plan.rows[1].account.full_name == "Chưa Vào"
    session.rollback()
    assert count(session, User) == 5 and count(session, SessionMember) == 1


def test_apply_only_if_every_row_is_valid_writes_nothing_when_one_is_not(session, training, trainer):
    plan = plan_roster(session, training.id, roster_of("Mới Một,0912000002,,Đắk Lắk,", "Sai,12,,Đắk Lắk,"))
    result = apply_roster(session, training, plan, all_or_nothing=True, actor_id=trainer.id)
    session.commit()
    assert not result.applied and result.rejected == 1
    assert count(session, User) == 1 and count(session, SessionMember) == 0 and count(session, AuditEvent, AuditEvent.action == "session.roster_applied") == 0


def test_apply_valid_rows_creates_matches_adds_and_enrols(session, training, trainer):
    existing = make_user(session, login="old@example.vn", name="Người Cũ")
    plan = plan_roster(session, training.id, roster_of("Mới Một,0912000002,,Bắc Giang,HTX Sen", "Người Cũ,,old@example.vn,Đắk Lắk,", "Sai,12,,Đắk Lắk,"))
    result = apply_roster(session, training, plan, all_or_nothing=False, actor_id=trainer.id)
    session.commit()
    assert result.applied and (len(result.created), result.matched, result.added, result.rejected) == (1, 1, 2, 1)
    created = session.scalar(select(User).where(User.phone == "+84912000002"))
    assert (created.full_name, created.province, created.business_name, created.role) == ("Mới Một", "bac-ninh", "HTX Sen", "learner")
    assert "m=256," in created.password_hash  # the light hash of a temporary password ...
    assert result.created[0].login == "+84912000002" and authenticate(session, "0912000002", result.created[0].password) is not None
    assert "m=256," not in created.password_hash  # ... is replaced by the standard one at the first login
    assert count(session, Enrolment, Enrolment.user_id.in_([created.id, existing.id])) == 2
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "session.roster_applied"))
    assert event.detail == {"mode": "valid", "rows": 3, "created": 1, "matched": 1, "already": 0, "rejected": 1, "not_enrolled": 0}


def test_an_unexpected_error_while_applying_leaves_nothing_behind(session, training, trainer, monkeypatch):
    plan = plan_roster(session, training.id, roster_of("Mới Một,0912000002,,Đắk Lắk,", "Mới Hai,0912000003,,Đắk Lắk,"))

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "enrol_many", broken)
    with pytest.raises(RuntimeError):
        apply_roster(session, training, plan, all_or_nothing=False, actor_id=trainer.id)
    session.rollback()
    assert count(session, User) == 1 and count(session, SessionMember) == 0 and count(session, Enrolment) == 0


def generated_roster(n: int, existing: int, members: int, bad_every: int) -> tuple[str, dict]:
    """n rows: the first `existing` match accounts (of which `members` are in the session), every `bad_every`-th new row is invalid."""
    lines, expected = [HEADER], {"create": 0, "add": existing - members, "already": members, "rejected": 0}
    for i in range(n):
        if i < existing:
            lines.append(f"Học viên cũ {i},,old{i}@example.vn,Đắk Lắk,\n")
        elif i % bad_every == 0:
            lines.append(f"Học viên {i},12{i},,Đắk Lắk,\n")
            expected["rejected"] += 1
        else:
            lines.append(f"Học viên {i},09{i:08d},,{'Phú Yên' if i % 2 else 'Đắk Lắk'},HTX {i}\n")
            expected["create"] += 1
    return "".join(lines), expected


def check_import(session, training, trainer, n, existing, members, bad_every, counter):
    """Preview and apply a generated roster; returns the seconds it took."""
    olds = fast_learners(session, existing)
    for user in olds[:members]:
        add_member(session, training, user, trainer.id)
    session.commit()
    text, expected = generated_roster(n, existing, members, bad_every)
    started = time.perf_counter()
    with counter:
        plan = plan_roster(session, training.id, parse_roster(text.encode()))
        assert {outcome: plan.count(outcome) for outcome in expected} == expected
        result = apply_roster(session, training, plan, all_or_nothing=False, actor_id=trainer.id)
        session.commit()
    elapsed = time.perf_counter() - started
    assert (len(result.created), result.matched, result.already, result.rejected) == (expected["create"], expected["add"], expected["already"], expected["rejected"])
    assert count(session, SessionMember, SessionMember.session_id == training.id) == expected["create"] + existing
    assert count(session, Enrolment) == expected["create"] + existing
    return elapsed


def test_a_fifty_row_roster_is_previewed_and_applied(session, training, trainer, count_queries):
    counter = count_queries()
    check_import(session, training, trainer, n=50, existing=6, members=2, bad_every=7, counter=counter)
    assert counter.count < 25  # batched: not a query per row


@pytest.mark.slow
def test_ten_thousand_rows_are_previewed_and_applied_in_reasonable_time(session, training, trainer, count_queries):
    elapsed = check_import(session, training, trainer, n=10_000, existing=600, members=100, bad_every=50, counter=count_queries())
    assert elapsed < 120, f"{elapsed:.1f} s"


def age_file(store, key: str, hours: float) -> None:
    """Make a stored file look written `hours` ago."""
    import os

    moment = time.time() - hours * 3600
    os.utime(store.local_path(key), (moment, moment))


def test_roster_uploads_older_than_a_day_are_purged_and_newer_ones_kept(tmp_path):
    from lms.cohorts.uploads import purge_roster_uploads, upload_key
    from lms.storage import FileStorage

    store = FileStorage(tmp_path)
    old, fresh, asset = upload_key("a" * 64), upload_key("b" * 64), "course-assets/honey/" + "c" * 64
    for key in (old, fresh, asset):
        store.put(key, "Nguyễn Văn An;0912345678".encode())
    age_file(store, old, 25)
    age_file(store, fresh, 23)
    age_file(store, asset, 100)  # course images are not uploads: never purged
    assert purge_roster_uploads(store, utcnow()) == 1
    assert (store.exists(old), store.exists(fresh), store.exists(asset)) == (False, True, True)
    assert purge_roster_uploads(store, utcnow()) == 0  # idempotent


def test_storage_delete_and_listing_tolerate_missing_files(tmp_path):
    from lms.storage import FileStorage

    store = FileStorage(tmp_path)
    assert store.list_older_than("roster-uploads", utcnow()) == []
    assert store.delete("roster-uploads/none.csv") is False
    store.put("roster-uploads/x.csv", b"x")
    assert store.delete("roster-uploads/x.csv") is True and not store.exists("roster-uploads/x.csv")
    with pytest.raises(ValueError):
        store.delete("../outside.csv")
