"""The operator CLI: init, create-user, demo."""
import json

from sqlalchemy import select

from lms.accounts.models import User
from lms.extensions import db


def test_init_is_safe_to_run_again(runner):
    result = runner.invoke(args=["lms", "init"])
    assert result.exit_code == 0, result.output
    assert "Database ready" in result.output


def test_create_user_with_password_from_environment(runner, app):
    result = runner.invoke(args=["lms", "create-user", "--role", "trainer", "--phone", "0912 000 111", "--name", "Đỗ Văn Hùng", "--province", "dak-lak"], env={"LMS_NEW_USER_PASSWORD": "rung-ca-phe-2026"})
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User))
        assert (user.phone, user.role, user.province) == ("+84912000111", "trainer", "dak-lak")


def test_create_user_rejects_a_duplicate(runner):
    args = ["lms", "create-user", "--email", "a@example.com", "--name", "An"]
    env = {"LMS_NEW_USER_PASSWORD": "rung-ca-phe-2026"}
    assert runner.invoke(args=args, env=env).exit_code == 0
    result = runner.invoke(args=args, env=env)
    assert result.exit_code != 0 and "already exists" in result.output


def test_create_user_rejects_a_weak_password(runner):
    result = runner.invoke(args=["lms", "create-user", "--email", "a@example.com", "--name", "An"], env={"LMS_NEW_USER_PASSWORD": "12345678"})
    assert result.exit_code != 0


def test_demo_json_lists_one_working_login_per_role(runner, app):
    result = runner.invoke(args=["lms", "demo", "--json"])
    assert result.exit_code == 0, result.output
    accounts = json.loads(result.output)
    assert sorted(a["role"] for a in accounts) == ["admin", "learner", "trainer", "verifier"]
    client = app.test_client()
    for account in accounts:
        response = client.post("/login", data={"login": account["login"], "password": account["password"]})
        assert response.status_code == 302, account
        client.post("/logout")


def test_demo_can_run_twice_and_resets_passwords(runner, app):
    first = json.loads(runner.invoke(args=["lms", "demo", "--json"]).output)
    second = json.loads(runner.invoke(args=["lms", "demo", "--json"]).output)
    assert first[0]["password"] != second[0]["password"]
    with app.app_context():
        assert len(db.session.scalars(select(User)).all()) == 4
