"""Schemathesis against /api/openapi.json, in process: no 5xx and no response that breaks the document."""
import pytest
import schemathesis
from schemathesis.specs.openapi.checks import positive_data_acceptance
from hypothesis import HealthCheck, given, settings
from sqlalchemy import select

from lms import create_app
from lms.catalog.services import enrol_learner
from lms.credentials.context import issuing_context
from lms.credentials.services import issue_if_due
from lms.db import utcnow
from lms.extensions import db
from lms.onboarding.clients import create_client
from lms.onboarding.profiles import ensure_profile
from tests.conftest import make_course, make_questions, make_user, wipe, with_signing_key
from tests.services.test_certificate_rules import finish_lessons, pass_assessment

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def api_schema(database_url, tmp_path_factory):
    """An app with a certified seller and an all-scopes client; its token travels in the app's config."""
    instance = tmp_path_factory.mktemp("fuzz")
    app = with_signing_key(create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "fuzz", "INSTANCE_PATH": str(instance),
                                       "PUBLIC_URL": "http://localhost", "VERIFY_RATE_LIMIT": "100000 per minute"}))
    with app.test_request_context():
        course = make_course(db.session, required=True)
        make_questions(db.session, course)
        seller = make_user(db.session, login="0912345678")
        ensure_profile(db.session, seller.id).tax_code = "6001234567"
        enrol_learner(db.session, seller.id, course)
        pass_assessment(db.session, seller.id, course)
        finish_lessons(db.session, seller.id, course)
        issue_if_due(db.session, seller.id, course, issuing_context(), utcnow())
        _, token = create_client(db.session, "Fuzzer", ["sellers:read", "certificates:read", "verify"], None, rate_limit="100000 per minute")
        db.session.commit()
    app.config["FUZZ_TOKEN"] = token
    yield schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    wipe(app.extensions["lms_db"].engine)
    app.extensions["lms_db"].engine.dispose()


def test_api_answers_every_generated_request_by_its_document(api_schema):
    """About 260 generated requests per operation (over 1,000 in all), each checked by Schemathesis' default checks."""
    token = api_schema.app.config["FUZZ_TOKEN"]
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 4
    calls = []
    for operation in operations:
        # OpenAPI cannot say "exactly one of these two query parameters"; the lookup documents it and answers 400
        excluded = [positive_data_acceptance] if operation.path == "/api/v1/sellers" else []

        @given(case=operation.as_strategy())
        @settings(max_examples=260, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case):
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, excluded_checks=excluded)
            calls.append(case)

        run()
    assert len(calls) >= 1000
