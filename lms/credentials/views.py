"""Certificate pages: public verification, keys and status lists, downloads, the learner's list, management."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

from flask import Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from lms.i18n import current_lang as _lang
from lms import clock
from lms.accounts.access import role_required
from lms.accounts.models import Role, User
from lms.audit.services import record
from lms.catalog.models import Course
from lms.catalog.services import get_published_course
from lms.cohorts.access import can_edit_course
from lms.credentials.claims import CertificateClaims
from lms.credentials.codes import normalise_code
from lms.credentials.context import certificate_pdf_path, keystore
from lms.credentials.models import Certificate
from lms.credentials.openbadges import encode_bitstring, open_badge_credential, status_list_credential
from lms.credentials.services import (
    CertificateActionRefused,
    certificate_state,
    certificates_of,
    due_learners,
    find_certificate,
    public_view,
    reinstate,
    revoke,
    revoked_indices,
    suspend,
    verify_url,
)
from lms.credentials.signing import sign_vc_jwt
from lms.extensions import db, limiter
from lms.onboarding.events import eligibility_changed, state_before

bp = Blueprint("credentials", __name__)

def _verify_limit() -> str:
    return current_app.config["VERIFY_RATE_LIMIT"]


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(message=_l("This field is required.")),
                                                      Length(max=1000, message=_l("This is too long."))])



def _public_url() -> str:
    return current_app.config["PUBLIC_URL"].rstrip("/")


def _certificate_view(certificate: Certificate) -> dict:
    return public_view(db.session, certificate, clock.now().date(), current_app.config["RECERTIFICATION_GRACE_DAYS"])


@bp.get("/verify")
def verify_form():
    typed = request.args.get("code", "")[:60]
    if typed:
        return redirect(url_for("credentials.verify", code=normalise_code(typed) or typed.strip().upper()[:40]))
    return render_template("credentials/verify_form.html")


@bp.get("/verify/<code>")
@limiter.limit(_verify_limit)
def verify(code: str):
    certificate = find_certificate(db.session, code)
    jwks = json.dumps(keystore().jwks())
    if certificate is None:
        # the same page and status for every unknown or malformed code
        return render_template("credentials/verify.html", found=None, code=code[:40], jwks=jwks), 404
    return render_template("credentials/verify.html", found=_certificate_view(certificate), code=certificate.code, jwks=jwks, lang=_lang())


@bp.get("/verify/scan")
def scan():
    """Check a scanned or pasted QR payload in the browser against the published keys; works offline once loaded."""
    return render_template("credentials/scan.html", jwks=json.dumps(keystore().jwks()))


@bp.get("/.well-known/jwks.json")
def jwks():
    response = jsonify(keystore().jwks())
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


def _status_list_url(list_id: str) -> str:
    return f"{_public_url()}/status/{list_id}"


@bp.get("/status/<list_id>")
@limiter.limit(_verify_limit)
def status_list(list_id: str):
    """The W3C Bitstring Status List of revocations, as a signed VC-JWT (or ?format=json to read it)."""
    if not list_id.isdigit() or db.session.scalar(select(Certificate.id).where(Certificate.status_list == list_id).limit(1)) is None:
        abort(404)
    now = clock.now()
    credential = status_list_credential(_status_list_url(list_id), _public_url(), current_app.config["ISSUER_NAME"],
                                        encode_bitstring(revoked_indices(db.session, list_id)), now)
    if request.args.get("format") == "json":
        response = jsonify(credential)
    else:
        kid, key = keystore().active()
        response = Response(sign_vc_jwt(credential, kid, key, issued_at=int(now.timestamp()), not_before=int(now.timestamp()), expires=None),
                            mimetype="application/vc+jwt")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def _public_certificate(code: str) -> Certificate:
    return find_certificate(db.session, code) or abort(404)


def _badge(certificate: Certificate) -> dict:
    claims = CertificateClaims.from_json(certificate.claims)
    course = db.session.get(Course, certificate.course_id)
    base = _public_url()
    return open_badge_credential(
        claims, credential_url=f"{base}/certificates/{certificate.code}/credential.json", verify_url=verify_url(base, certificate.code),
        achievement_url=f"{base}/courses/{course.slug}#v{certificate.course_version}", issuer_url=base,
        status_list_url=_status_list_url(certificate.status_list),
        criteria_vi=f"Hoàn thành mọi bài học của khóa “{course.title_vi}” (phiên bản {certificate.course_version}) và đạt bài kiểm tra cuối khóa từ {course.pass_mark}% trở lên.",
        criteria_en=f"Completed every lesson of “{course.title_en or course.title_vi}” (version {certificate.course_version}) and passed the final assessment with at least {course.pass_mark}%.",
    )


@bp.get("/certificates/<code>/credential.json")
@limiter.limit(_verify_limit)
def badge_json(code: str):
    certificate = _public_certificate(code)
    response = Response(json.dumps(_badge(certificate), ensure_ascii=False, indent=2), mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{certificate.code}.json"'
    return response


@bp.get("/certificates/<code>/credential.jwt")
@limiter.limit(_verify_limit)
def badge_jwt(code: str):
    certificate = _public_certificate(code)
    kid, key = keystore().active()
    claims = CertificateClaims.from_json(certificate.claims)
    token = sign_vc_jwt(_badge(certificate), kid, key, issued_at=_epoch(claims.issued_on), not_before=_epoch(claims.issued_on),
                        expires=_epoch(claims.expires_on + timedelta(days=1)))
    return Response(token, mimetype="application/vc+jwt", headers={"Content-Disposition": f'attachment; filename="{certificate.code}.jwt"'})


def _epoch(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp())


def _may_download(certificate: Certificate) -> bool:
    """The holder, verifiers and admins, and the trainers of the certificate's course."""
    if current_user.id == certificate.user_id or current_user.role in (Role.VERIFIER.value, Role.ADMIN.value):
        return True
    return can_edit_course(db.session, current_user, certificate.course_id)


@bp.get("/certificates/<code>.pdf")
@login_required
def pdf(code: str):
    certificate = find_certificate(db.session, code)
    if certificate is None or not _may_download(certificate):
        abort(404)
    path = certificate_pdf_path(db.session, certificate)
    return send_file(path, mimetype="application/pdf", as_attachment=True, download_name=f"{certificate.code}.pdf", max_age=0)


@bp.get("/certificates")
@login_required
def mine():
    today = clock.now().date()
    grace = current_app.config["RECERTIFICATION_GRACE_DAYS"]
    rows = []
    for certificate in certificates_of(db.session, current_user.id):
        rows.append((certificate, certificate_state(db.session, certificate, today, grace), db.session.get(Course, certificate.course_id)))
    return render_template("credentials/mine.html", rows=rows, today=today, lang=_lang())


@bp.route("/certificates/<code>/manage", methods=["GET", "POST"])
@role_required(Role.VERIFIER.value)
def manage(code: str):
    certificate = find_certificate(db.session, code) or abort(404)
    form = ReasonForm()
    if form.validate_on_submit():
        action = {"revoke": revoke, "suspend": suspend, "reinstate": reinstate}.get(request.form.get("action", ""))
        if action is None:
            abort(400)
        grace = current_app.config["RECERTIFICATION_GRACE_DAYS"]
        before = state_before(db.session, certificate.user_id, clock.now(), grace)
        try:
            action(db.session, certificate, current_user.id, form.reason.data, clock.now())
            record(db.session, current_user.id, f"certificate.{request.form['action']}", "certificate", certificate.code)
        except CertificateActionRefused:
            db.session.rollback()
            flash(_("That change does not apply to this certificate now."), "error")
            return redirect(url_for("credentials.manage", code=certificate.code))
        eligibility_changed(db.session, certificate.user_id, before, clock.now(), grace)
        db.session.commit()
        flash(_("Saved. The verification page, the API and the status list show the change now."), "success")
        return redirect(url_for("credentials.manage", code=certificate.code))
    holder = db.session.get(User, certificate.user_id)
    actors = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_([e.actor_id for e in certificate.events if e.actor_id])))}
    return render_template("credentials/manage.html", certificate=certificate, view=_certificate_view(certificate), holder=holder,
                           events=certificate.events, actors=actors, form=form, lang=_lang()), 200 if not form.errors else 422


@bp.get("/courses/<slug>/certificates")
@role_required(Role.TRAINER.value, Role.VERIFIER.value)
def course_certificates(slug: str):
    """Trainers see who holds a certificate of the course and who has earned one that is not issued yet."""
    course = get_published_course(db.session, slug) or abort(404)
    if current_user.role == Role.TRAINER.value and not can_edit_course(db.session, current_user, course.id):
        abort(404)
    issued = list(db.session.scalars(select(Certificate).where(Certificate.course_id == course.id).order_by(Certificate.issued_at.desc())))
    due = list(db.session.scalars(select(User).where(User.id.in_(due_learners(db.session, course))))) if course else []
    holders = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_([c.user_id for c in issued])))}
    today = clock.now().date()
    states = {c.id: certificate_state(db.session, c, today, current_app.config["RECERTIFICATION_GRACE_DAYS"]) for c in issued}
    return render_template("credentials/course_certificates.html", course=course, issued=issued, due=due, holders=holders, states=states, lang=_lang())
