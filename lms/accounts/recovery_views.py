"""Account recovery views: forgotten password, reset links (emailed or handed over by a trainer), log out everywhere."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from lms import clock
from lms.accounts import bp
from lms.accounts.access import role_required
from lms.accounts.forms import REQUIRED, LogoutForm, PasswordChangeForm, message_for
from lms.accounts.identity import InvalidValue
from lms.accounts.models import Role, User
from lms.accounts.recovery import (
    RESET_LINK_LIFETIME,
    issue_reset_link,
    log_out_everywhere,
    may_issue_reset_link,
    request_password_reset,
    reset_password,
    reset_token,
    user_for_token,
)
from lms.extensions import db, limiter
from lms.mail import send_mail


def _attempt_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


class ForgotPasswordForm(FlaskForm):
    login = StringField(_l("Email or phone number"), validators=[DataRequired(REQUIRED), Length(max=254)])


class ResetPasswordForm(PasswordChangeForm):
    current = None  # the link stands in for the current password


class ConfirmForm(FlaskForm):
    """Empty form: the action is a POST with a CSRF token."""


def _reset_url(token: str) -> str:
    # the configured public address, never the request's Host header (which a sender of the form controls)
    return current_app.config["PUBLIC_URL"].rstrip("/") + url_for("accounts.reset_password", token=token)


def _private(response_body, status: int = 200):
    """Pages that carry a reset token: not cached, and the token never leaves in a Referer header."""
    response = current_app.make_response((response_body, status))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _email_reset_link(user: User) -> None:
    link = _reset_url(reset_token(user, current_app.config["SECRET_KEY"]))
    site = current_app.config["SITE_NAME"]
    with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        subject = _("Reset your %(site)s password", site=site)
        body = _("Someone, hopefully you, asked to reset the password of your %(site)s account.\n\n"
                 "Open this link within one hour to choose a new password. It works only once:\n%(link)s\n\n"
                 "If you did not ask for this, ignore this email: your password stays the same.", site=site, link=link)
    send_mail(user.email, subject, body)


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(_attempt_limit, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user = request_password_reset(db.session, form.login.data)
        db.session.commit()
        if user is not None:
            _email_reset_link(user)
        # one answer whether or not the account exists, and whatever kind it is
        return render_template("accounts/recovery_sent.html")
    return render_template("accounts/recovery_forgot.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"], endpoint="reset_password")
@limiter.limit(_attempt_limit, methods=["POST"])
def reset_password_page(token):
    user = user_for_token(db.session, token, current_app.config["SECRET_KEY"], clock.now())
    if user is None:
        return _private(render_template("accounts/recovery_invalid.html"), 404)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            reset_password(db.session, user, form.new.data)
        except InvalidValue as error:
            db.session.rollback()
            form.new.errors.append(message_for(error))
        else:
            db.session.commit()
            flash(_("Your password has been changed and every device has been logged out. Log in with your new password."), "success")
            return redirect(url_for("accounts.login"))
    return _private(render_template("accounts/recovery_reset.html", form=form, user=user))


@bp.route("/account/reset-link/<int:user_id>", methods=["GET", "POST"])
@role_required(Role.TRAINER.value)
def reset_link(user_id):
    user = db.session.get(User, user_id)
    if user is None or not may_issue_reset_link(db.session, current_user, user):
        abort(404)
    form = ConfirmForm()
    link = None
    if form.validate_on_submit():
        link = _reset_url(issue_reset_link(db.session, current_user, user, current_app.config["SECRET_KEY"]))
        db.session.commit()
    return _private(render_template("accounts/recovery_link.html", form=form, user=user, link=link,
                                    hours=int(RESET_LINK_LIFETIME.total_seconds() // 3600)))


@bp.post("/account/logout-everywhere")
@login_required
def logout_everywhere():
    if not LogoutForm().validate_on_submit():
        abort(400)
    user = current_user._get_current_object()
    log_out_everywhere(db.session, user)
    db.session.commit()
    login_user(user, fresh=True)  # this device carries on with the new session version
    flash(_("You have been logged out on every other device."), "success")
    return redirect(url_for("accounts.password"))
