"""The operator's command line: `flask lms ...`."""
from __future__ import annotations

import json
import os
import secrets

import click
from flask import current_app
from flask.cli import AppGroup

from lms.accounts.identity import InvalidValue
from lms.accounts.models import Role
from lms.accounts.services import DuplicateLogin, NewAccount, find_user_by_login, hash_password, register_user
from lms.db import refresh_statistics
from lms.extensions import db
from lms import migrate

lms_cli = AppGroup("lms", help="OCOP Seller Academy operations.")

DEMO_ACCOUNTS = (
    (Role.LEARNER.value, "hoc-vien@demo.ocop.vn", "Nguyễn Thị Lan", "Hợp tác xã Chè Tân Cương", "thai-nguyen"),
    (Role.TRAINER.value, "giang-vien@demo.ocop.vn", "Trần Văn Minh", "Trung tâm Xúc tiến thương mại nông nghiệp", "ha-noi"),
    (Role.VERIFIER.value, "tham-dinh@demo.ocop.vn", "Lê Thị Hồng", "Trung tâm Xúc tiến thương mại nông nghiệp", "ha-noi"),
    (Role.ADMIN.value, "quan-tri@demo.ocop.vn", "Phạm Quốc Anh", "OCOP Seller Academy", "ha-noi"),
)


@lms_cli.command("init")
def init_command():
    """Create or upgrade the database schema and the first signing key (safe to run again)."""
    from lms.credentials.context import keystore

    migrate.upgrade(db.engine)
    refresh_statistics(db.engine)
    click.echo(f"Database ready: {db.engine.url.render_as_string(hide_password=True)}")
    click.echo(f"Signing key: {keystore().create()}")


@lms_cli.command("db-revision")
@click.argument("message")
def db_revision_command(message):
    """Autogenerate a migration from the models (for developers)."""
    migrate.make_revision(db.engine, message)


@lms_cli.command("create-user")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.LEARNER.value, show_default=True)
@click.option("--email", default=None, help="Email address (or use --phone).")
@click.option("--phone", default=None, help="Vietnamese phone number.")
@click.option("--name", required=True, help="Full name.")
@click.option("--province", default="ha-noi", show_default=True, help="Province code, e.g. dak-lak.")
@click.option("--business", default="", help="Business name.")
def create_user_command(role, email, phone, name, province, business):
    """Create an account. The password comes from LMS_NEW_USER_PASSWORD or is prompted for."""
    if bool(email) == bool(phone):
        raise click.UsageError("give exactly one of --email or --phone")
    password = os.environ.get("LMS_NEW_USER_PASSWORD") or click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = register_user(db.session, NewAccount(login=email or phone, full_name=name, password=password, province=province, business_name=business, role=role))
    except DuplicateLogin:
        db.session.rollback()
        raise click.ClickException("an account with this login already exists")
    except InvalidValue as error:
        db.session.rollback()
        raise click.ClickException(f"invalid value: {error.code}")
    db.session.commit()
    click.echo(f"Created {user.role} {user.login} (id {user.id})")


@lms_cli.command("demo")
@click.option("--json", "as_json", is_flag=True, help="Print the accounts as JSON for scripts.")
def demo_command(as_json):
    """Create (or reset) one demo account per role and print their logins and passwords."""
    accounts = []
    for role, login, name, business, province in DEMO_ACCOUNTS:
        password = "demo-" + secrets.token_urlsafe(9)
        user = find_user_by_login(db.session, login)
        if user is None:
            register_user(db.session, NewAccount(login=login, full_name=name, password=password, province=province, business_name=business, role=role))
        else:
            user.password_hash = hash_password(password)
            user.session_version += 1
            user.role = role
            user.is_active = True
        accounts.append({"role": role, "login": login, "password": password})
    db.session.commit()
    if as_json:
        click.echo(json.dumps(accounts, ensure_ascii=False))
        return
    click.echo("Demo accounts (passwords change each time this runs):")
    for account in accounts:
        click.echo(f"  {account['role']:<9} {account['login']:<28} {account['password']}")
    click.echo(f"Open {current_app.config['PUBLIC_URL']}")
