"""Admin pages for platform API clients: create (token shown once), revoke, webhook address and secret, delivery log."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from limits import parse as parse_rate_limit
from sqlalchemy import select
from wtforms import SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from lms import clock
from lms.accounts.access import role_required
from lms.accounts.models import Role
from lms.audit.services import record
from lms.catalog.forms import ActionForm
from lms.extensions import db
from lms.onboarding.clients import SCOPES, create_client, revoke_client
from lms.onboarding.models import ApiClient
from lms.onboarding.webhooks import (
    InvalidWebhookUrl,
    check_webhook_url,
    delivery_stats,
    event_status,
    recent_events,
    rotate_webhook_secret,
    set_webhook_url,
)

bp = Blueprint("api_clients", __name__, url_prefix="/admin/api-clients")

DELIVERY_LOG_SIZE = 100
URL_MESSAGES = {
    "scheme": _l("Use an https:// address: events about sellers are never sent unencrypted, so plain http is refused."),
    "host": _l("This is not a valid web address."),
    "credentials": _l("Put no user name or password in the address: the signature proves that events come from us."),
    "too_long": _l("This address is too long (500 characters at most)."),
}


def _allow_http_localhost() -> bool:
    return bool(current_app.config.get("TESTING") or current_app.config.get("WEBHOOK_ALLOW_HTTP_LOCALHOST"))


def _valid_webhook_url(form, field):
    if field.data:
        try:
            field.data = check_webhook_url(field.data, _allow_http_localhost())
        except InvalidWebhookUrl as error:
            raise ValidationError(URL_MESSAGES[error.code]) from error


def _valid_rate_limit(form, field):
    try:
        if ";" in field.data or "," in field.data or parse_rate_limit(field.data).amount < 1:
            raise ValueError(field.data)
    except ValueError as error:
        raise ValidationError(_l("Write a limit like “600 per minute” (per second, minute, hour or day).")) from error


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ApiClientForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(message=_l("This field is required.")), Length(max=120)])
    scopes = CheckboxesField(_l("Scopes"), choices=[(scope, scope) for scope in SCOPES],
                             validators=[DataRequired(message=_l("Choose at least one scope."))])
    rate_limit = StringField(_l("Rate limit"), default="600 per minute", validators=[DataRequired(message=_l("This field is required.")), Length(max=40), _valid_rate_limit])
    webhook_url = StringField(_l("Webhook address (optional)"), validators=[Optional(), _valid_webhook_url])


class WebhookForm(FlaskForm):
    webhook_url = StringField(_l("Webhook address"), validators=[Optional(), _valid_webhook_url])


def _client(client_id: int) -> ApiClient:
    return db.session.get(ApiClient, client_id) or abort(404)


def _active_client(client_id: int) -> ApiClient:
    """The client if it may still change; for a revoked one the answer is a message and its page."""
    client = _client(client_id)
    if not client.is_active:
        flash(_("This client is revoked; nothing can be changed any more."), "error")
        abort(redirect(url_for("api_clients.detail", client_id=client_id)))
    return client


def _secrets_page(client: ApiClient, token: str | None, secret: str | None):
    """The only response that ever holds a token or secret in clear: never cached, never shown again."""
    response = current_app.make_response(render_template("api_clients/secrets.html", client=client, token=token, secret=secret))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("")
@role_required(Role.ADMIN.value)
def index():
    clients = list(db.session.scalars(select(ApiClient).order_by(ApiClient.is_active.desc(), ApiClient.created_at.desc(), ApiClient.id.desc())))
    return render_template("api_clients/index.html", clients=clients, stats=delivery_stats(db.session, [c.id for c in clients]))


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.ADMIN.value)
def create():
    form = ApiClientForm()
    if form.validate_on_submit():
        client, token = create_client(db.session, form.name.data, form.scopes.data, current_user.id, form.rate_limit.data.strip())
        set_webhook_url(db.session, client, form.webhook_url.data or None)
        record(db.session, current_user.id, "api_client.created", "api_client", client.id, name=client.name, scopes=client.scopes,
               rate_limit=client.rate_limit, webhook_url=client.webhook_url or "")
        db.session.commit()
        flash(_("Client %(name)s created.", name=client.name), "success")
        return _secrets_page(client, token, client.webhook_secret)
    return render_template("api_clients/new.html", form=form), 422 if form.errors else 200


@bp.get("/<int:client_id>")
@role_required(Role.ADMIN.value)
def detail(client_id: int, webhook_form: WebhookForm | None = None):
    client = _client(client_id)
    form = webhook_form or WebhookForm(webhook_url=client.webhook_url or "")
    return render_template("api_clients/detail.html", client=client, form=form, action_form=ActionForm(),
                           stats=delivery_stats(db.session, [client.id])[client.id]), 422 if form.errors else 200


@bp.post("/<int:client_id>/webhook")
@role_required(Role.ADMIN.value)
def webhook(client_id: int):
    client = _active_client(client_id)
    form = WebhookForm()
    if not form.validate_on_submit():
        return detail(client_id, webhook_form=form)
    before = client.webhook_url or ""
    new_secret = set_webhook_url(db.session, client, form.webhook_url.data or None)
    record(db.session, current_user.id, "api_client.webhook_changed", "api_client", client.id, before=before, after=client.webhook_url or "")
    db.session.commit()
    flash(_("Webhook address saved.") if client.webhook_url else _("Webhooks are off for this client."), "success")
    if new_secret:
        return _secrets_page(client, None, new_secret)
    return redirect(url_for("api_clients.detail", client_id=client.id))


@bp.post("/<int:client_id>/secret")
@role_required(Role.ADMIN.value)
def rotate_secret(client_id: int):
    client = _active_client(client_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    secret = rotate_webhook_secret(db.session, client)
    record(db.session, current_user.id, "api_client.secret_rotated", "api_client", client.id)
    db.session.commit()
    flash(_("New webhook secret made. Events are signed with it from now on."), "success")
    return _secrets_page(client, None, secret)


@bp.route("/<int:client_id>/revoke", methods=["GET", "POST"])
@role_required(Role.ADMIN.value)
def revoke(client_id: int):
    client = _active_client(client_id)
    form = ActionForm()
    if form.validate_on_submit():
        revoke_client(db.session, client, clock.now())
        record(db.session, current_user.id, "api_client.revoked", "api_client", client.id, name=client.name)
        db.session.commit()
        flash(_("Client %(name)s revoked: its token no longer works and no more events are sent to it.", name=client.name), "success")
        return redirect(url_for("api_clients.detail", client_id=client.id))
    return render_template("api_clients/revoke.html", client=client, form=form)


@bp.get("/<int:client_id>/deliveries")
@role_required(Role.ADMIN.value)
def deliveries(client_id: int):
    client = _client(client_id)
    events = recent_events(db.session, client.id, DELIVERY_LOG_SIZE)
    return render_template("api_clients/deliveries.html", client=client, events=events, status_of=event_status, limit=DELIVERY_LOG_SIZE)
