"""`flask lms deliver-webhooks`: send the webhook outbox (from cron, a systemd timer or as a small worker)."""
from __future__ import annotations

import time

import click
from flask import current_app

from lms import clock
from lms.cli import lms_cli
from lms.extensions import db
from lms.onboarding.events import sweep_eligibility
from lms.onboarding.webhooks import deliver_due


@lms_cli.command("deliver-webhooks")
@click.option("--loop", "interval", type=click.FloatRange(min=1), default=None, metavar="SECONDS",
              help="Keep running, looking for due events every SECONDS (a simple worker).")
@click.option("--limit", type=click.IntRange(min=1, max=10_000), default=100, show_default=True, help="Events sent per round at most.")
def deliver_webhooks_command(interval, limit):
    """Send the webhook events that are due, each signed, retried with backoff, given up after 12 attempts.

    Idempotent and safe on several hosts at once (SKIP LOCKED on PostgreSQL): run it from cron every minute.
    """
    while True:
        counts = deliver_due(db.session, clock.now(), limit=limit)
        db.session.remove()
        handled = counts.delivered + counts.retrying + counts.given_up
        if interval is None or handled:  # a worker stays quiet while there is nothing to send
            click.echo(str(counts))
        if interval is None:
            return
        if handled < limit:  # a full round may have left more due: go on at once
            time.sleep(interval)


@lms_cli.command("check-eligibility")
def check_eligibility_command():
    """Tell platforms about eligibility that changed with time: certificates expiring, new rules applying.

    Writes webhook events to the outbox (deliver-webhooks sends them). Run it daily from cron, after midnight.
    """
    counts = sweep_eligibility(db.session, clock.now(), current_app.config["RECERTIFICATION_GRACE_DAYS"])
    db.session.commit()
    click.echo(str(counts))
