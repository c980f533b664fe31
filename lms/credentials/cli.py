"""`flask lms keys`, `issue-certificates`, `certificate-pdf`, `verify-credential`, `send-reminders`."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app, url_for
from flask_babel import force_locale, format_date
from flask_babel import gettext as _

from lms import clock
from lms.cli import lms_cli
from lms.credentials.context import certificate_pdf_path, issuing_context, keystore, prepare_pdf_quietly
from lms.credentials.reminders import send_expiry_reminders
from lms.credentials.services import find_certificate, issue_all_due
from lms.credentials.verification import verify_input
from lms.extensions import db
from lms.mail import SmtpSettings, send_mail


@lms_cli.group("keys")
def keys_group():
    """Ed25519 keys that sign certificates (kept under LMS_SIGNING_KEYS_DIR, never in the database)."""


@keys_group.command("create")
def keys_create_command():
    """Create the first signing key (does nothing if one exists)."""
    kid = keystore().create()
    click.echo(f"Active signing key: {kid}")


@keys_group.command("rotate")
def keys_rotate_command():
    """Make a new key the active one; old keys stay published so earlier certificates still verify."""
    kid = keystore().rotate()
    click.echo(f"Active signing key: {kid}")


@keys_group.command("list")
def keys_list_command():
    """List the keys, the active one marked."""
    for kid, active, created in keystore().list():
        click.echo(f"{'*' if active else ' '} {kid}  {created}")


@lms_cli.command("issue-certificates")
def issue_certificates_command():
    """Issue every certificate that is due (learners who finished and passed but hold none)."""
    issued = issue_all_due(db.session, issuing_context(), clock.now())
    db.session.commit()
    for certificate in issued:
        prepare_pdf_quietly(db.session, certificate)
        click.echo(f"issued {certificate.code}")
    click.echo(f"{len(issued)} certificate(s) issued")


@lms_cli.command("certificate-pdf")
@click.argument("code")
@click.argument("target", type=click.Path(dir_okay=False, writable=True))
def certificate_pdf_command(code, target):
    """Write the stored PDF of certificate CODE to TARGET."""
    certificate = find_certificate(db.session, code)
    if certificate is None:
        raise click.ClickException(f"no certificate with code {code}")
    Path(target).write_bytes(certificate_pdf_path(db.session, certificate).read_bytes())
    click.echo(f"wrote {target}")


@lms_cli.command("verify-credential")
@click.argument("source")
def verify_credential_command(source):
    """Check a certificate PDF, a JWS / VC-JWT, a QR payload or an Open Badges JSON offline; exit 1 unless genuine."""
    path = Path(source)
    data: str | bytes = path.read_bytes() if len(source) < 4096 and path.is_file() else source
    check = verify_input(data, keystore().public_keys())
    click.echo(check.summary)
    genuine = check.verdict is not None and check.verdict.genuine
    sys.exit(0 if genuine else 1)


def _mail_reminder(certificate, holder, course, days_left: int, valid_until) -> bool:
    app = current_app._get_current_object()
    with app.test_request_context("/"):
        link = app.config["PUBLIC_URL"].rstrip("/") + url_for("credentials.mine")
        lang = holder.locale or app.config["BABEL_DEFAULT_LOCALE"]
        with force_locale(lang):
            subject = _("Your certificate “%(course)s” ends on %(date)s", course=course.title(lang), date=format_date(valid_until))
            body = _("Hello %(name)s,\n\nyour certificate %(code)s for “%(course)s” is valid for %(days)s more days, until %(date)s. "
                     "After that, platforms will not accept it for onboarding.\n\nTake the short renewal quiz before then to keep "
                     "selling without a break:\n%(link)s\n\n%(site)s", name=holder.full_name, code=certificate.code,
                     course=course.title(lang), days=days_left, date=format_date(valid_until), link=link, site=app.config["SITE_NAME"])
    return send_mail(holder.email, subject, body)


@lms_cli.command("send-reminders")
def send_reminders_command():
    """Email holders whose certificate ends within 60 days, and again within 14 days (each once).

    Needs LMS_SMTP_HOST. Safe to run daily from cron on several hosts.
    """
    if SmtpSettings.from_config(current_app.config) is None:
        raise click.ClickException("LMS_SMTP_HOST is not set: no reminder can be sent (the dashboard still shows them).")
    counts = send_expiry_reminders(db.session, clock.now(), _mail_reminder, current_app.config["RECERTIFICATION_GRACE_DAYS"])
    click.echo(str(counts))
