"""`flask lms purge-uploads`: delete roster CSV uploads that were previewed but never applied."""
from __future__ import annotations

from datetime import timedelta

import click

from lms import clock
from lms.cli import lms_cli
from lms.cohorts.uploads import MAX_AGE, purge_roster_uploads
from lms.storage import storage


@lms_cli.command("purge-uploads")
@click.option("--older-than-hours", "hours", type=click.IntRange(min=1), default=int(MAX_AGE.total_seconds() // 3600), show_default=True,
              help="Delete uploads written longer ago than this.")
def purge_uploads_command(hours):
    """Delete roster CSV files uploaded for a preview and never applied (they hold personal data).

    Idempotent and safe on several hosts at once: run it from cron, e.g. every hour.
    """
    deleted = purge_roster_uploads(storage(), clock.now(), timedelta(hours=hours))
    click.echo(f"Deleted {deleted} roster upload(s) older than {hours} hours.")
