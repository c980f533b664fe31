"""Views of the core blueprint."""
from __future__ import annotations

from flask import abort, current_app, jsonify, redirect, render_template, send_from_directory, session, url_for
from flask_babel import get_locale
from flask_login import current_user, login_required
from sqlalchemy import text

from lms.accounts.forms import ROLE_LABELS
from lms.accounts.services import PRIVACY_NOTICE_VERSION, set_locale
from lms import clock
from lms.catalog.services import dashboard_for
from lms.cohorts.services import learner_sessions
from lms.credentials.services import expiring_soon
from lms.core import bp
from lms.core.forms import LanguageForm
from lms.extensions import db
from lms.i18n import referrer_path, safe_next
from lms.onboarding.status import seller_status


@bp.get("/")
def home():
    if current_user.is_authenticated:
        return redirect(url_for("core.dashboard"))
    return render_template("core/home.html")


@bp.get("/dashboard")
@login_required
def dashboard():
    summary = dashboard_for(db.session, current_user.id)
    today = clock.now().date()
    expiring = expiring_soon(db.session, current_user.id, today, current_app.config["RECERTIFICATION_GRACE_DAYS"])
    seller = seller_status(db.session, current_user.id, clock.now(), current_app.config["RECERTIFICATION_GRACE_DAYS"])
    return render_template("core/dashboard.html", role_label=ROLE_LABELS[current_user.role], summary=summary, expiring=expiring,
                           today=today, lang=str(get_locale()), sessions=learner_sessions(db.session, current_user.id), seller=seller)


@bp.get("/privacy")
def privacy():
    return render_template("core/privacy.html", version=PRIVACY_NOTICE_VERSION)


@bp.post("/language")
def language():
    form = LanguageForm()
    if not form.validate_on_submit():
        abort(400)
    session["lang"] = form.lang.data
    if current_user.is_authenticated:
        set_locale(db.session, current_user, form.lang.data)
        db.session.commit()
    return redirect(safe_next(form.next.data, referrer_path(url_for("core.home"))))


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception:  # the point of a health check is to report, not to raise
        current_app.logger.exception("health check: database unreachable")
        database = "error"
    status = 200 if database == "ok" else 503
    return jsonify(status="ok" if status == 200 else "error", database=database), status


@bp.get("/sw.js")
def service_worker():
    """The offline service worker, served from the root so its scope covers every page."""
    response = send_from_directory(current_app.static_folder, "js/sw.js", mimetype="text/javascript", max_age=0)
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"
    return response
