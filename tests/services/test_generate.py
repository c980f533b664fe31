"""`flask lms generate`: reproducible synthetic data whose records hang together like real ones."""
import json
from pathlib import Path

import pytest
from conftest import wipe
from sqlalchemy import func, select, text

from lms.catalog.learning_models import ACTIVE, Enrolment
from lms.catalog.progress import progress_for
from lms.credentials.codes import normalise_code
from lms.credentials.context import keystore
from lms.credentials.models import Certificate
from lms.credentials.signing import verify_token
from lms.extensions import db
from lms.onboarding.models import SellerProfile

SUMMARY_KEYS = {"size", "seed", "counts", "certificates", "sellers", "password", "demo_logins", "learner_logins", "api_token",
                "demo_session_id", "demo_course", "seconds", "generated_at", "database"}


def generate(runner, tmp_path: Path, size: str = "XS", seed: int = 7) -> dict:
    target = tmp_path / f"summary-{size}-{seed}.json"
    result = runner.invoke(args=["lms", "generate", "--size", size, "--seed", str(seed), "--summary", str(target)])
    assert result.exit_code == 0, result.output
    return json.loads(target.read_text(encoding="utf-8"))


def codes(app) -> tuple[list[str], list[str]]:
    with app.app_context():
        return (list(db.session.scalars(select(Certificate.code).order_by(Certificate.id))),
                list(db.session.scalars(select(SellerProfile.seller_code).order_by(SellerProfile.id))))


def assert_consistent(app) -> int:
    """Every certificate belongs to an enrolled learner who finished the lessons and passed; returns how many there are."""
    with app.app_context():
        certificates = list(db.session.scalars(select(Certificate)))
        keys = keystore().public_keys()
        pairs = {(c.user_id, c.course_id) for c in certificates}
        progress = progress_for(db.session, sorted({u for u, _ in pairs}), sorted({c for _, c in pairs}))
        for certificate in certificates:
            enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == certificate.user_id, Enrolment.course_id == certificate.course_id))
            assert enrolment is not None and enrolment.status == ACTIVE
            state = progress[(certificate.user_id, certificate.course_id)]
            assert state.lessons_complete and state.assessment == "passed"
            assert normalise_code(certificate.code) == certificate.code
            verdict = verify_token(certificate.jws, keys)
            assert verdict.genuine and verdict.claims["code"] == certificate.code
        assert db.session.scalar(select(func.count(func.distinct(Certificate.status_index)))) == len(certificates)
        return len(certificates)


def test_the_same_seed_gives_the_same_counts_and_codes(app, runner, tmp_path):
    first = generate(runner, tmp_path)
    first_codes = codes(app)
    wipe(app.extensions["lms_db"].engine)
    second = generate(runner, tmp_path)
    assert second["counts"] == first["counts"]
    assert codes(app) == first_codes
    assert second["certificates"] == first["certificates"] and second["sellers"] == first["sellers"]


def test_another_seed_gives_other_codes(app, runner, tmp_path):
    generate(runner, tmp_path, seed=1)
    first_codes = codes(app)
    wipe(app.extensions["lms_db"].engine)
    generate(runner, tmp_path, seed=2)
    assert set(codes(app)[0]).isdisjoint(first_codes[0])


def test_every_certificate_belongs_to_an_enrolled_learner_who_passed(app, runner, tmp_path):
    summary = generate(runner, tmp_path)
    assert assert_consistent(app) == summary["counts"]["certificates"] > 0


def test_xs_has_ten_learners_and_the_summary_has_the_promised_keys(app, runner, tmp_path):
    summary = generate(runner, tmp_path)
    assert SUMMARY_KEYS <= set(summary)
    assert summary["size"] == "XS" and len(summary["learner_logins"]) == 10
    assert {"users", "enrolments", "lesson_progress", "attempts", "attempt_items", "certificates", "training_sessions"} <= set(summary["counts"])
    for state in ("valid", "expired", "revoked"):
        assert summary["certificates"][state], f"no {state} certificate in the sample"
    assert summary["sellers"]["eligible"] and summary["sellers"]["not_eligible"]
    assert {login["role"] for login in summary["demo_logins"]} == {"learner", "trainer", "verifier", "admin"}


def test_the_summary_addresses_real_records_through_the_api_and_the_login(app, runner, tmp_path):
    summary = generate(runner, tmp_path)
    client = app.test_client()
    auth = {"Authorization": f"Bearer {summary['api_token']}"}
    for state in ("valid", "expired", "revoked"):
        response = client.get(f"/api/v1/certificates/{summary['certificates'][state][0]}")
        assert response.status_code == 200 and response.json["status"] == state
    eligible = client.get(f"/api/v1/sellers/{summary['sellers']['eligible'][0]}/onboarding", headers=auth)
    assert eligible.status_code == 200 and eligible.json["eligible"] is True
    not_eligible = client.get(f"/api/v1/sellers/{summary['sellers']['not_eligible'][0]}/onboarding", headers=auth)
    assert not_eligible.status_code == 200 and not_eligible.json["eligible"] is False
    learner = next(login for login in summary["demo_logins"] if login["role"] == "learner")
    client.post("/login", data={"login": learner["login"], "password": learner["password"]})
    assert client.get("/dashboard").status_code == 200


def test_a_database_with_learners_is_refused(app, runner, tmp_path):
    generate(runner, tmp_path)
    result = runner.invoke(args=["lms", "generate", "--size", "XS"])
    assert result.exit_code != 0 and "already has learners" in result.output


@pytest.mark.slow
def test_s_size_is_consistent_and_ten_times_xs(app, runner, tmp_path):
    summary = generate(runner, tmp_path, size="S")
    assert len(summary["learner_logins"]) == 100
    assert summary["counts"]["enrolments"] > 150
    assert assert_consistent(app) == summary["counts"]["certificates"]


def test_the_planner_has_statistics_of_the_generated_data(app, runner, tmp_path):
    """Without statistics SQLite chose the wrong index for the console at size L (ANALYZE after generating)."""
    generate(runner, tmp_path)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            analysed = set(db.session.scalars(text("SELECT tbl FROM sqlite_stat1")))
        else:
            analysed = set(db.session.scalars(text("SELECT relname FROM pg_class WHERE relkind = 'r' AND reltuples > 0")))
    assert {"users", "certificates", "lesson_progress", "enrolments"} <= analysed
