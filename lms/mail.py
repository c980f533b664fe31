"""Outgoing email over SMTP (LMS_SMTP_*). Without LMS_SMTP_HOST, messages are written to the app log instead."""
from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr
from typing import Any, Mapping
from urllib.parse import urlsplit

from flask import current_app

from lms.privacy import redact

SMTPS_PORT = 465


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    user: str
    password: str
    sender: str
    starttls: bool

    @classmethod
    def from_config(cls, config: Mapping[str, Any], env: Mapping[str, str] | None = None) -> SmtpSettings | None:
        """SMTP_* from the app config, else LMS_SMTP_* from the environment; None when no host is set."""
        env = os.environ if env is None else env

        def setting(name: str, default: Any = "") -> Any:
            value = config.get(f"SMTP_{name}")
            return env.get(f"LMS_SMTP_{name}", default) if value is None else value

        host = setting("HOST")
        if not host:
            return None
        starttls = setting("STARTTLS", "1")
        default_sender = formataddr((config.get("SITE_NAME", ""), f"no-reply@{urlsplit(config.get('PUBLIC_URL', '')).hostname or 'localhost'}"))
        return cls(host=host, port=int(setting("PORT", 587)), user=setting("USER"), password=setting("PASSWORD"),
                   sender=setting("FROM") or default_sender,
                   starttls=starttls if isinstance(starttls, bool) else str(starttls).strip().lower() in {"1", "true", "yes", "on"})


def send_mail(to: str, subject: str, body: str) -> bool:
    """Send a plain-text email; True if the SMTP server accepted it. Failures are logged, never raised."""
    settings = SmtpSettings.from_config(current_app.config)
    if settings is None:
        current_app.logger.warning("LMS_SMTP_HOST is not set: email to %s written here instead of sent.\nSubject: %s\n\n%s",
                                   redact(to), subject, body)
        return False
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = settings.sender, to, subject
    message.set_content(body)
    try:
        if settings.port == SMTPS_PORT:
            connection = smtplib.SMTP_SSL(settings.host, settings.port, timeout=15, context=ssl.create_default_context())
        else:
            connection = smtplib.SMTP(settings.host, settings.port, timeout=15)
        with connection as smtp:
            if settings.starttls and settings.port != SMTPS_PORT:
                smtp.starttls(context=ssl.create_default_context())
            if settings.user:
                smtp.login(settings.user, settings.password)
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        current_app.logger.error("could not send email %r through %s:%s: %s", subject, settings.host, settings.port, redact(str(error)))
        return False
    return True
