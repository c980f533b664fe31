"""Account views: register, login, logout, password change."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from lms.accounts import bp
from lms.accounts.forms import LoginForm, LogoutForm, PasswordChangeForm, RegisterForm, MESSAGES, message_for
from lms.accounts.identity import InvalidValue
from lms.accounts.services import (
    PRIVACY_NOTICE_VERSION,
    DuplicateLogin,
    NewAccount,
    authenticate,
    change_password,
    register_user,
)
from lms.audit.services import record
from lms.extensions import db, limiter
from lms.i18n import safe_next


def _start_session(user, remember: bool) -> None:
    # a fresh session on login: nothing an attacker planted before login survives it
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    login_user(user, remember=remember)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("core.dashboard"))
    form = RegisterForm()
    if form.validate_on_submit():
        account = NewAccount(
            login=form.login.data,
            full_name=form.full_name.data,
            password=form.password.data,
            province=form.province.data,
            business_name=form.business_name.data or "",
            locale=session.get("lang"),
            consent_version=PRIVACY_NOTICE_VERSION,
        )
        try:
            user = register_user(db.session, account)
        except DuplicateLogin:
            form.login.errors.append(MESSAGES["login_taken"])
        except InvalidValue as error:
            form.login.errors.append(message_for(error))
        else:
            record(db.session, user.id, "auth.registered", "user", user.id)
            db.session.commit()
            _start_session(user, remember=False)
            flash(_("Welcome, %(name)s! Your account is ready.", name=user.full_name), "success")
            return redirect(url_for("core.dashboard"))
        db.session.rollback()
    return render_template("accounts/register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    form = LoginForm()
    if current_user.is_authenticated and not form.is_submitted():
        return redirect(url_for("core.dashboard"))
    if form.validate_on_submit():
        user = authenticate(db.session, form.login.data, form.password.data)
        if user is None:
            db.session.rollback()
            # no login text in the log: it may be someone's phone number
            record(db.session, None, "auth.login_failed", "user", "", ip=request.remote_addr)
            db.session.commit()
            form.password.errors.append(_("The login or password is not correct."))
        else:
            record(db.session, user.id, "auth.login", "user", user.id, ip=request.remote_addr)
            db.session.commit()
            _start_session(user, remember=form.remember.data)
            return redirect(safe_next(form.next.data, url_for("core.dashboard")))
    elif not form.is_submitted():
        form.next.data = safe_next(request.args.get("next"), "")
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    form = LogoutForm()
    if form.validate_on_submit():
        logout_user()
        lang = session.get("lang")
        session.clear()
        if lang:
            session["lang"] = lang
        flash(_("You have logged out."), "info")
        return redirect(url_for("core.home"))
    if not current_user.is_authenticated:
        return redirect(url_for("core.home"))
    return render_template("accounts/logout.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            change_password(db.session, current_user, form.current.data, form.new.data)
        except InvalidValue as error:
            db.session.rollback()
            form.current.errors.append(message_for(error))
        else:
            record(db.session, current_user.id, "auth.password_changed", "user", current_user.id)
            db.session.commit()
            login_user(current_user._get_current_object(), fresh=True)
            flash(_("Your password has been changed. Other devices have been logged out."), "success")
            return redirect(url_for("core.dashboard"))
    return render_template("accounts/password.html", form=form)
