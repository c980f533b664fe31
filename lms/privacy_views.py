"""A person's own data: download it as JSON, see their consent, delete (anonymise) their account."""
from __future__ import annotations

import json
from datetime import date, datetime

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, logout_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField
from wtforms.validators import DataRequired

from lms import clock
from lms.accounts.forms import REQUIRED, message_for
from lms.accounts.identity import InvalidValue
from lms.accounts.services import PRIVACY_NOTICE_VERSION
from lms.extensions import db, limiter
from lms.privacy import delete_account, kept_records, personal_data, record_data_export

bp = Blueprint("privacy", __name__)

MESSAGES = {"last_admin": _l("You are the only administrator: give another account the admin role first.")}


class DataExportForm(FlaskForm):
    """Empty form: the download is a POST with a CSRF token (it writes an audit entry)."""


class DeleteAccountForm(FlaskForm):
    password = PasswordField(_l("Your password"), validators=[DataRequired(REQUIRED)])
    understood = BooleanField(_l("I understand that my account will be closed for good and I will no longer be able to log in."),
                              validators=[DataRequired(_l("Tick the box to confirm."))])


def _json_value(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"cannot export {type(value).__name__}")


@bp.get("/account/data")
@login_required
def data():
    return render_template("privacy/data.html", form=DataExportForm(), current_version=PRIVACY_NOTICE_VERSION)


@bp.post("/account/data")
@login_required
def download():
    if not DataExportForm().validate_on_submit():
        abort(400)
    now = clock.now()
    body = json.dumps(personal_data(db.session, current_user, now), ensure_ascii=False, indent=2, default=_json_value)
    record_data_export(db.session, current_user)
    db.session.commit()
    response = current_app.response_class(body, mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="ocop-academy-my-data-{now:%Y-%m-%d}.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/account/delete", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def delete():
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            kept = delete_account(db.session, current_user._get_current_object(), form.password.data)
        except InvalidValue as error:
            db.session.rollback()
            form.password.errors.append(MESSAGES.get(error.code) or message_for(error))
        else:
            db.session.commit()
            logout_user()  # the bumped session version already ends this session on every other device
            flash(_("Your account has been deleted."), "info")
            if kept.certificates:
                flash(_("Your certificates remain valid and can still be checked."), "info")
            return redirect(url_for("core.home"))
    return render_template("privacy/delete.html", form=form, kept=kept_records(db.session, current_user.id))
