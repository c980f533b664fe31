"""`flask lms generate`: reproducible synthetic data (sizes XS-L) for benchmarks, demos and scripts."""
from __future__ import annotations

import json
import random
import secrets
import time
from pathlib import Path

import click
from flask import current_app
from sqlalchemy import select

from lms import clock, migrate
from lms.accounts.models import Role, User
from lms.accounts.services import hash_password
from lms.catalog.models import Course
from lms.cli import lms_cli
from lms.content.importer import import_bundle, load_bundles
from lms.credentials.context import issuing_context, keystore
from lms.db import refresh_statistics
from lms.extensions import db
from lms.generate import SIZES, generate, summary
from lms.onboarding.clients import SCOPES, create_client
from lms.storage import storage

# the generated platform client may call as often as a load test needs
BENCHMARK_RATE_LIMIT = "1000000 per minute"


def _import_shipped_content() -> None:
    bundles, _stray = load_bundles([Path(p) for p in current_app.config["CONTENT_DIRS"]])
    for bundle in bundles:
        report = import_bundle(db.session, bundle, storage())
        if report.outcome == "rejected":
            db.session.rollback()
            raise click.ClickException(f"course {report.slug} has problems: run `flask lms check-content`")
        db.session.commit()


@lms_cli.command("generate")
@click.option("--size", type=click.Choice(list(SIZES), case_sensitive=False), required=True,
              help="XS 10, S 100, M 1,000 or L 10,000 learners, with their courses, attempts, certificates and sessions.")
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same data (on an empty database).")
@click.option("--summary", "summary_file", type=click.Path(dir_okay=False, writable=True),
              help="Write counts, sample certificate and seller codes, logins and a platform API token as JSON.")
def generate_command(size, seed, summary_file):
    """Fill an empty database with synthetic learners, progress, attempts, certificates and training sessions.

    Creates the schema, the signing key and the shipped courses first if they are missing. Refuses
    a database that already has learners. Every generated account has the same password, printed
    at the end (and written to the summary).
    """
    started = time.perf_counter()
    migrate.upgrade(db.engine)
    context = issuing_context()
    keystore().create()
    if db.session.scalar(select(User.id).where(User.role == Role.LEARNER.value).limit(1)) is not None:
        raise click.ClickException("this database already has learners: generate into an empty database")
    if db.session.scalar(select(Course.id).limit(1)) is None:
        _import_shipped_content()
    password = "demo-" + secrets.token_urlsafe(9)
    now = clock.now()
    generated = generate(db.session, random.Random(seed), size.upper(), now, context, hash_password(password), password)
    admin = db.session.scalar(select(User.id).where(User.role == Role.ADMIN.value).order_by(User.id))
    _client, token = create_client(db.session, "Synthetic platform (benchmarks)", list(SCOPES), admin, rate_limit=BENCHMARK_RATE_LIMIT)
    db.session.commit()
    refresh_statistics(db.engine)
    result = summary(db.session, generated, now, current_app.config["RECERTIFICATION_GRACE_DAYS"])
    result.update(seed=seed, api_token=token, seconds=round(time.perf_counter() - started, 1), generated_at=now.isoformat(timespec="seconds"),
                  database=db.engine.url.render_as_string(hide_password=True))
    if summary_file:
        Path(summary_file).write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    counts = result["counts"]
    click.echo(f"Generated size {result['size']} (seed {seed}) in {result['seconds']} s: {counts['users']} users, "
               f"{counts['enrolments']} enrolments, {counts['lesson_progress']} lesson progress rows, {counts['attempts']} attempts, "
               f"{counts['certificates']} certificates, {counts['training_sessions']} training sessions.")
    click.echo(f"Every generated account's password: {password}")
    for login in result["demo_logins"]:
        click.echo(f"  {login['role']:<9} {login['login']}")
    if summary_file:
        click.echo(f"Summary written to {summary_file}")
