"""Platform API v1. Thin views: authenticate, parse, call the onboarding and credential services, sign."""
from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta

from flask import Blueprint, Response, current_app, g, jsonify, render_template, request
from sqlalchemy import select

from lms import clock
from lms.accounts.identity import InvalidValue, normalise_phone
from lms.accounts.models import User
from lms.accounts.provinces import PROVINCE_NAMES
from lms.api.openapi import openapi_document
from lms.api.problems import problem
from lms.api.signing import sign_response
from lms.credentials.context import keystore
from lms.credentials.models import Certificate
from lms.credentials.services import find_certificate, public_view, verify_url
from lms.credentials.verification import verify_input
from lms.extensions import csrf, db, limiter
from lms.onboarding.clients import find_client
from lms.onboarding.models import SellerProfile
from lms.onboarding.profiles import find_seller
from lms.onboarding.status import SellerStatus, seller_status, seller_statuses

bp = Blueprint("api", __name__)
csrf.exempt(bp)  # bearer tokens, not cookies: there is no cross-site request to forge

MAX_BODY_BYTES = 16 * 1024
MAX_LOOKUP_RESULTS = 20


def _client_key() -> str:
    client = getattr(g, "api_client", None)
    return f"client:{client.id}" if client else f"ip:{request.remote_addr}"


def _client_limit() -> str:
    client = getattr(g, "api_client", None)
    return client.rate_limit if client else current_app.config["VERIFY_RATE_LIMIT"]


api_limit = limiter.limit(_client_limit, key_func=_client_key)


@bp.before_request
def _authenticate():
    """Read the bearer token if one is sent; routes that need one call _require()."""
    g.api_client = None
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        client = find_client(db.session, token.strip()) if scheme.lower() == "bearer" else None
        if client is None:
            return problem(401, "The bearer token is unknown, malformed or revoked.", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        g.api_client = client
        now = clock.now()
        # a write on every read would serialise API calls on SQLite: record use at most once a minute
        if client.last_used_at is None or now - client.last_used_at > timedelta(minutes=1):
            client.last_used_at = now
            db.session.commit()


def _require(scope: str):
    client = g.api_client
    if client is None:
        return problem(401, "Send Authorization: Bearer <token>.", headers={"WWW-Authenticate": "Bearer"})
    if scope not in client.scopes:
        return problem(403, f"This token lacks the scope {scope}.")
    return None


def _iso(value):
    return value.isoformat() if isinstance(value, (date, datetime)) else value


def _links(code: str) -> dict:
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    return {"verify": verify_url(base, code), "open_badge": f"{base}/certificates/{code}/credential.json",
            "vc_jwt": f"{base}/certificates/{code}/credential.jwt"}


def _signed_json(body: dict, status: int = 200, cache: str = "no-cache") -> Response:
    """JSON with an ETag (304 when unchanged), a cache policy, and the detached-JWS signature header.

    The ETag leaves out `checked_at`, so a platform that asks again gets 304 while nothing changed.
    """
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = cache
    if status == 200:
        stable = {key: value for key, value in body.items() if key != "checked_at"}
        response.set_etag(hashlib.sha256(json.dumps(stable, sort_keys=True, default=str).encode()).hexdigest()[:32])
        response.make_conditional(request)
    if response.status_code == 200:
        sign_response(response, keystore())
    return response


def _certificate_json(certificate: Certificate) -> dict:
    view = public_view(db.session, certificate, clock.now().date(), current_app.config["RECERTIFICATION_GRACE_DAYS"])
    body = {key: _iso(value) for key, value in view.items()}
    body["links"] = _links(certificate.code)
    return body


def _status_json(profile: SellerProfile, status: SellerStatus) -> dict:
    user = db.session.get(User, profile.user_id)
    return {
        "seller_code": profile.seller_code,
        "business_name": user.business_name or "",
        "province": PROVINCE_NAMES.get(user.province, user.province or ""),
        "eligible": status.eligible,
        "status": status.state,
        "expires_on": _iso(status.expires_on),
        "missing": [{"course": m.course_slug, "course_title": m.course_title_vi, "reason": m.reason, "percent": m.percent,
                     "since": _iso(m.since)} for m in status.missing],
        "certificates": [{"code": c.code, "course": c.course_slug, "status": c.status, "issued_on": _iso(c.issued_on),
                          "valid_until": _iso(c.valid_until), "recertify_by": _iso(c.recertify_by), "links": _links(c.code)}
                         for c in status.certificates],
        "rule_set_version": status.rule_set.version,
        "checked_at": status.checked_at.isoformat(timespec="seconds"),
    }


@bp.get("/api/v1/certificates/<code>")
@api_limit
def certificate(code: str):
    """Public: the certificate's current status (a token, if sent, must allow certificates:read)."""
    if g.api_client is not None and (refused := _require("certificates:read")):
        return refused
    found = find_certificate(db.session, code)
    if found is None:
        return problem(404, "No certificate has this code.")
    return _signed_json(_certificate_json(found))


@bp.get("/api/v1/sellers/<seller_code>/onboarding")
@api_limit
def onboarding(seller_code: str):
    if refused := _require("sellers:read"):
        return refused
    profile = find_seller(db.session, seller_code)
    now = clock.now()
    grace = current_app.config["RECERTIFICATION_GRACE_DAYS"]
    if profile is None:
        # the same work as for a known seller, so response times do not tell which codes exist
        seller_status(db.session, -1, now, grace)
        return problem(404, "No seller has this code.")
    return _signed_json(_status_json(profile, seller_status(db.session, profile.user_id, now, grace)), cache="private, no-cache")


@bp.get("/api/v1/sellers")
@api_limit
def sellers():
    """Find sellers by tax code or phone number (exactly one of them)."""
    if refused := _require("sellers:read"):
        return refused
    tax_code, phone = request.args.get("tax_code", "").strip(), request.args.get("phone", "").strip()
    if bool(tax_code) == bool(phone) or set(request.args) - {"tax_code", "phone"}:
        return problem(400, "Give exactly one of tax_code or phone.")
    if tax_code:
        if not (tax_code.replace("-", "").isdigit() and len(tax_code) in (10, 14)):
            return problem(400, "tax_code must be 10 digits, or 10 digits, a hyphen and 3 digits.")
        query = select(SellerProfile).where(SellerProfile.tax_code == tax_code)
    else:
        try:
            normalised = normalise_phone(phone)
        except InvalidValue:
            return problem(400, "phone must be a Vietnamese phone number.")
        query = select(SellerProfile).join(User, User.id == SellerProfile.user_id).where(User.phone == normalised)
    profiles = list(db.session.scalars(query.order_by(SellerProfile.id).limit(MAX_LOOKUP_RESULTS)))
    statuses = seller_statuses(db.session, [p.user_id for p in profiles], clock.now(), current_app.config["RECERTIFICATION_GRACE_DAYS"])
    return _signed_json({"sellers": [_status_json(p, statuses[p.user_id]) for p in profiles]}, cache="private, no-cache")


@bp.post("/api/v1/verify")
@api_limit
def verify():
    """Check a QR payload, a verification link or a JWS: is the signature genuine, and what is the status now?"""
    if refused := _require("verify"):
        return refused
    if request.content_length and request.content_length > MAX_BODY_BYTES:
        return problem(413, f"At most {MAX_BODY_BYTES} bytes.")
    if not request.is_json:
        return problem(415)
    body = request.get_json(silent=True)
    payload = body.get("payload") if isinstance(body, dict) else None
    if not isinstance(payload, str) or not payload or len(payload) > MAX_BODY_BYTES:
        return problem(400, 'Send {"payload": "<QR content, verification link or JWS>"}.')
    check = verify_input(payload, keystore().public_keys())
    genuine = bool(check.verdict and check.verdict.genuine)
    result = {"genuine": genuine, "reason": check.verdict.reason if check.verdict else "malformed", "code": check.code, "certificate": None}
    if genuine and check.code:
        found = find_certificate(db.session, check.code)
        result["certificate"] = _certificate_json(found) if found else None
    return _signed_json(result, cache="no-store")


@bp.get("/api/openapi.json")
def openapi():
    response = jsonify(openapi_document(current_app.config["PUBLIC_URL"].rstrip("/")))
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/api")
def docs():
    """A readable page for platform engineers, in the reader's language."""
    return render_template("api/docs.html", base=current_app.config["PUBLIC_URL"].rstrip("/"))
