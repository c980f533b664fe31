"""The platform API as a platform uses it: tokens and scopes, statuses, lookups, verification, errors, the OpenAPI document."""
import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import select

from lms import create_app
from lms.api.signing import HEADER, verify_response
from lms.catalog.models import Course
from lms.catalog.services import enrol_learner
from lms.credentials.context import issuing_context, keystore
from lms.credentials.models import Certificate
from lms.credentials.services import issue_if_due, revoke, verify_link
from lms.db import utcnow
from lms.extensions import db
from lms.onboarding.clients import create_client, revoke_client
from lms.onboarding.models import ApiClient
from lms.onboarding.profiles import ensure_profile
from tests.conftest import make_course, make_questions, make_user, with_signing_key
from tests.services.test_certificate_rules import finish_lessons, pass_assessment


@pytest.fixture
def platform(app, users):
    """A required course, a seller (profile with tax code and phone) and platform clients with different scopes."""
    with app.app_context():
        course = make_course(db.session, required=True)
        make_questions(db.session, course)
        seller = make_user(db.session, login="0912345678", name="Hoàng Thị Mai", business="HTX Cà phê Buôn Ma Thuột", province="dak-lak")
        profile = ensure_profile(db.session, seller.id)
        profile.tax_code = "6001234567"
        enrol_learner(db.session, seller.id, course)
        _, token = create_client(db.session, "TikTok Shop", ["sellers:read", "certificates:read", "verify"], users["admin"][0])
        _, narrow = create_client(db.session, "Narrow", ["certificates:read"], users["admin"][0])
        db.session.commit()
        return {"token": token, "narrow": narrow, "seller_code": profile.seller_code, "seller_id": seller.id, "course_id": course.id}


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def certify(app, platform):
    with app.test_request_context():
        course = db.session.get(Course, platform["course_id"])
        pass_assessment(db.session, platform["seller_id"], course)
        finish_lessons(db.session, platform["seller_id"], course)
        certificate = issue_if_due(db.session, platform["seller_id"], course, issuing_context(), utcnow())
        db.session.commit()
        return certificate.code, verify_link("http://localhost", certificate)


def public_keys(app):
    with app.app_context():
        return keystore().public_keys()


def test_a_platform_sees_a_seller_become_eligible_and_lose_it_on_revocation(client, app, platform, users):
    url = f"/api/v1/sellers/{platform['seller_code']}/onboarding"
    first = client.get(url, headers=auth(platform["token"]))
    body = first.get_json()
    assert first.status_code == 200 and body["eligible"] is False and body["missing"][0]["course"] == "honey-basics"
    assert body["missing"][0]["reason"] == "in_progress" and "0912345678" not in first.get_data(as_text=True)
    assert verify_response(first.get_data(), first.headers[HEADER], public_keys(app))
    assert not verify_response(first.get_data().replace(b"false", b"true "), first.headers[HEADER], public_keys(app))

    code, _ = certify(app, platform)
    body = client.get(url.lower(), headers=auth(platform["token"])).get_json()
    assert body["eligible"] is True and body["status"] == "eligible" and body["certificates"][0]["code"] == code
    assert body["certificates"][0]["links"]["verify"].endswith(f"/verify/{code}")

    with app.app_context():
        revoke(db.session, db.session.scalar(select(Certificate)), users["verifier"][0], "Hàng giả", utcnow())
        db.session.commit()
    body = client.get(url, headers=auth(platform["token"])).get_json()
    assert body["eligible"] is False and body["missing"][0]["reason"] == "certificate_revoked"


def test_unchanged_answers_are_304_with_the_etag(client, platform):
    url = f"/api/v1/sellers/{platform['seller_code']}/onboarding"
    first = client.get(url, headers=auth(platform["token"]))
    # checked_at changes every second; the ETag still lets a quick repeat be served as 304
    again = client.get(url, headers={**auth(platform["token"]), "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    certificate = client.get("/api/v1/certificates/0000-0000-0000-0000-0")
    assert certificate.status_code == 404


@pytest.mark.parametrize("headers, status", [
    ({}, 401), ({"Authorization": "Bearer nope"}, 401), ({"Authorization": "Basic abc"}, 401), ("narrow", 403),
])
def test_tokens_and_scopes(client, platform, headers, status):
    headers = auth(platform["narrow"]) if headers == "narrow" else headers
    response = client.get(f"/api/v1/sellers/{platform['seller_code']}/onboarding", headers=headers)
    assert response.status_code == status and response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == {401: "unauthorized", 403: "forbidden"}[status]
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_client_is_refused(client, app, platform):
    with app.app_context():
        revoke_client(db.session, db.session.scalar(select(ApiClient).where(ApiClient.name == "TikTok Shop")), utcnow())
        db.session.commit()
    assert client.get(f"/api/v1/sellers/{platform['seller_code']}/onboarding", headers=auth(platform["token"])).status_code == 401


def test_unknown_sellers_are_a_404_problem(client, platform):
    wrong_check = platform["seller_code"][:-1] + ("Z" if platform["seller_code"][-1] != "Z" else "Y")
    for code in ("0000-0000-0000-0000-0", "garbage", wrong_check):
        response = client.get(f"/api/v1/sellers/{code}/onboarding", headers=auth(platform["token"]))
        assert response.status_code == 404 and response.get_json()["code"] == "not_found"


def test_lookups_by_tax_code_and_phone(client, platform):
    for query in ("tax_code=6001234567", "phone=0912 345 678", "phone=%2B84912345678"):
        body = client.get(f"/api/v1/sellers?{query}", headers=auth(platform["token"])).get_json()
        assert [s["seller_code"] for s in body["sellers"]] == [platform["seller_code"]], query
    assert client.get("/api/v1/sellers?tax_code=0000000000", headers=auth(platform["token"])).get_json() == {"sellers": []}
    for bad in ("", "tax_code=1&phone=2", "tax_code=12ab", "phone=12", "name=x"):
        response = client.get(f"/api/v1/sellers?{bad}", headers=auth(platform["token"]))
        assert response.status_code == 400 and response.get_json()["code"] == "bad_request", bad


def test_verify_a_scanned_qr_code(client, app, platform):
    code, link = certify(app, platform)
    body = client.post("/api/v1/verify", json={"payload": link}, headers=auth(platform["token"])).get_json()
    assert body["genuine"] is True and body["code"] == code and body["certificate"]["status"] == "valid"
    header, payload, signature = link.split("#")[1].split(".")
    forged = f"{header}.{payload[:-2]}AA.{signature}"
    assert client.post("/api/v1/verify", json={"payload": forged}, headers=auth(platform["token"])).get_json()["genuine"] is False
    assert client.post("/api/v1/verify", data="x", headers=auth(platform["token"])).status_code == 415
    assert client.post("/api/v1/verify", json={"payload": 5}, headers=auth(platform["token"])).status_code == 400
    assert client.post("/api/v1/verify", json={"payload": "x" * 20_000}, headers=auth(platform["token"])).status_code == 413


def test_each_client_has_its_own_rate_limit(app_config, users):
    app = with_signing_key(create_app(app_config))
    with app.app_context():
        _, slow = create_client(db.session, "Slow", ["certificates:read"], None, rate_limit="2 per minute")
        _, other = create_client(db.session, "Other", ["certificates:read"], None)
        db.session.commit()
    client = app.test_client()
    statuses = [client.get("/api/v1/certificates/0000-0000-0000-0000-0", headers=auth(slow)).status_code for _ in range(3)]
    assert statuses == [404, 404, 429]
    limited = client.get("/api/v1/certificates/0000-0000-0000-0000-0", headers=auth(slow))
    assert limited.headers.get("Retry-After") and limited.get_json()["code"] == "too_many_requests"
    assert client.get("/api/v1/certificates/0000-0000-0000-0000-0", headers=auth(other)).status_code == 404
    app.extensions["lms_db"].engine.dispose()


def _validator(document: dict, schema: dict) -> Draft202012Validator:
    return Draft202012Validator({**schema, "components": document["components"]})


def test_the_openapi_document_covers_every_api_route_and_matches_real_responses(client, app, platform):
    document = client.get("/api/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            path = rule.rule.replace("<", "{").replace(">", "}")
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert (path, method.lower()) in documented, (path, method)
    code, link = certify(app, platform)
    calls = [
        ("get", f"/api/v1/sellers/{platform['seller_code']}/onboarding", None, "/api/v1/sellers/{seller_code}/onboarding"),
        ("get", "/api/v1/sellers?tax_code=6001234567", None, "/api/v1/sellers"),
        ("get", f"/api/v1/certificates/{code}", None, "/api/v1/certificates/{code}"),
        ("get", "/api/v1/certificates/0000-0000-0000-0000-0", None, "/api/v1/certificates/{code}"),
        ("post", "/api/v1/verify", {"payload": link}, "/api/v1/verify"),
        ("post", "/api/v1/verify", {"nope": 1}, "/api/v1/verify"),
    ]
    for method, url, body, path in calls:
        response = getattr(client, method)(url, json=body, headers=auth(platform["token"]))
        spec = document["paths"][path][method]["responses"][str(response.status_code)]
        schema = next(iter(spec["content"].values()))["schema"]
        errors = list(_validator(document, schema).iter_errors(response.get_json()))
        assert errors == [], (url, errors)


def test_the_api_page_reads_in_both_languages(client):
    assert "API cho các sàn thương mại điện tử" in client.get("/api").get_data(as_text=True)
    client.post("/language", data={"lang": "en"})
    assert "API for platforms" in client.get("/api").get_data(as_text=True)
