"""`flask lms backup` / `restore`: every table row, the signing keys and the stored files survive a wipe."""
import io
import json
import os
import shutil
import stat
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import select

from lms.backup import BackupError, Locations, restore_backup
from lms.catalog.services import enrol_learner
from lms.cohorts.services import SessionDetails, add_member, create_session
from lms.credentials.context import issuing_context
from lms.credentials.services import issue_if_due
from lms.db import utcnow
from lms.extensions import db
from lms.models import Base
from lms.onboarding.profiles import ensure_profile
from lms.storage import storage
from tests.conftest import make_course, make_questions, make_user, wipe
from tests.services.test_certificate_rules import finish_lessons, pass_assessment

STORED = "course-assets/honey-basics/label.png"


def certified_learner(session, name="Nguyễn Thị Hồng Nhung", login=None):
    """A learner enrolled in a course, every lesson done, the assessment passed and the certificate issued."""
    course = make_course(session)
    make_questions(session, course)
    learner = make_user(session, login=login, name=name, business="HTX Mật ong Bắc Hà", province="lao-cai")
    enrol_learner(session, learner.id, course)
    session.commit()
    finish_lessons(session, learner.id, course)
    pass_assessment(session, learner.id, course)
    certificate = issue_if_due(session, learner.id, course, issuing_context(), utcnow())
    session.commit()
    return learner, course, certificate


def build_site(session):
    """Some of everything, made through the services."""
    learner, course, certificate = certified_learner(session)
    trainer = make_user(session, role="trainer", login="0912 345 678", name="Trần Văn Minh")
    training = create_session(session, SessionDetails("Lớp Lào Cai", "lao-cai", "Nhà văn hoá", "", utcnow().date(), utcnow().date()), [course.id], trainer.id)
    add_member(session, training, learner, trainer.id)
    ensure_profile(session, learner.id)
    session.commit()
    storage().put(STORED, b"\x89PNG fake image")
    return certificate


def table_rows(engine):
    """Every row of every table, ordered by primary key, as plain tuples."""
    with engine.connect() as connection:
        return {table.name: [tuple(row) for row in connection.execute(select(table).order_by(*table.primary_key.columns))]
                for table in Base.metadata.sorted_tables}


def locations(app):
    with app.app_context():
        return Locations(Path(app.config["SIGNING_KEYS_DIR"]), storage().root)


def snapshot_files(folder: Path):
    return {p.relative_to(folder).as_posix(): (p.read_bytes(), int(p.stat().st_mtime)) for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def backed_up(app, runner, tmp_path):
    """A populated site and its backup archive: (archive, rows before)."""
    with app.app_context():
        build_site(db.session)
        db.session.remove()
    archive = tmp_path / "backups" / "site.tar.gz"
    result = runner.invoke(args=["lms", "backup", str(archive)])
    assert result.exit_code == 0, result.output
    return archive, table_rows(app.extensions["lms_db"].engine)


def rewrite_manifest(archive: Path, change) -> None:
    """Rewrite the archive with change(manifest dict) applied (to simulate damage or another release)."""
    with tarfile.open(archive, "r:gz") as tar:
        members = [(info, tar.extractfile(info).read()) for info in tar]
    with tarfile.open(archive, "w:gz") as tar:
        for info, data in members:
            if info.name == "manifest.json":
                manifest = json.loads(data)
                change(manifest)
                data = json.dumps(manifest).encode()
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_a_restore_after_a_wipe_brings_back_every_row_key_and_file(app, runner, backed_up):
    archive, before = backed_up
    places = locations(app)
    keys_before, files_before = snapshot_files(places.keys_dir), snapshot_files(places.files_dir)
    assert sum(len(rows) for rows in before.values()) > 50 and before["certificates"] and before["attempt_items"]
    engine = app.extensions["lms_db"].engine
    wipe(engine)
    shutil.rmtree(places.keys_dir)
    shutil.rmtree(places.files_dir)

    result = runner.invoke(args=["lms", "restore", str(archive)])

    assert result.exit_code == 0, result.output
    assert table_rows(engine) == before
    assert snapshot_files(places.keys_dir) == keys_before  # bytes and modification times (a key's creation time)
    assert snapshot_files(places.files_dir) == files_before
    with app.app_context():  # sequences came back too: new rows do not collide with restored ones
        assert make_user(db.session).id > max(row[0] for row in before["users"])


def test_the_archive_is_private_and_its_manifest_counts_rows_and_hashes_members(backed_up):
    archive, before = backed_up
    assert stat.S_IMODE(os.stat(archive).st_mode) == 0o600
    with tarfile.open(archive, "r:gz") as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
        names = set(tar.getnames())
    assert manifest["tables"] == {name: len(rows) for name, rows in before.items()}
    assert set(manifest["files"]) == names - {"manifest.json"} and f"files/{STORED}" in names
    assert any(name.startswith("keys/") for name in names) and manifest["revision"]


def test_restore_refuses_a_database_with_rows_unless_forced(app, runner, backed_up):
    archive, before = backed_up
    with app.app_context():
        make_user(db.session, name="Người mới sau sao lưu")
    engine = app.extensions["lms_db"].engine
    refused = runner.invoke(args=["lms", "restore", str(archive)])
    assert refused.exit_code != 0 and "--force" in refused.output
    assert len(table_rows(engine)["users"]) == len(before["users"]) + 1

    forced = runner.invoke(args=["lms", "restore", "--force", str(archive)])
    assert forced.exit_code == 0, forced.output
    assert table_rows(engine) == before


def test_restore_refuses_a_damaged_archive_and_changes_nothing(app, runner, backed_up):
    archive, _ = backed_up
    rewrite_manifest(archive, lambda m: m["files"].update({next(iter(m["files"])): "0" * 64}))
    engine = app.extensions["lms_db"].engine
    wipe(engine)
    result = runner.invoke(args=["lms", "restore", str(archive)])
    assert result.exit_code != 0 and "does not match its manifest" in result.output
    assert not any(table_rows(engine).values())


def test_restore_refuses_a_backup_of_another_schema_revision(app, runner, backed_up):
    archive, _ = backed_up
    rewrite_manifest(archive, lambda m: m.update(revision="0099_future"))
    wipe(app.extensions["lms_db"].engine)
    result = runner.invoke(args=["lms", "restore", str(archive)])
    assert result.exit_code != 0 and "0099_future" in result.output and "flask lms init" in result.output


def test_restore_refuses_a_backup_of_the_other_engine(app, backed_up):
    archive, _ = backed_up
    rewrite_manifest(archive, lambda m: m.update(engine="postgresql" if m["engine"] == "sqlite" else "sqlite"))
    with app.app_context(), pytest.raises(BackupError, match="backup; the configured database is"):
        restore_backup(db.engine, archive, locations(app))


def test_pg_tools_get_the_password_from_the_environment_never_the_command_line(monkeypatch):
    from sqlalchemy.engine import make_url

    from lms import backup

    calls = []
    monkeypatch.setattr(backup.shutil, "which", lambda program: f"/usr/bin/{program}")
    monkeypatch.setattr(backup.subprocess, "run", lambda args, env, **kw: calls.append((args, env)) or type("R", (), {"returncode": 0})())
    backup._run_pg("pg_dump", ["--format=custom"], make_url("postgresql+psycopg://lms:s3cret-pw@db.example:6432/academy?sslmode=require"))
    (args, env), = calls
    assert "s3cret-pw" not in " ".join(args)
    assert (env["PGPASSWORD"], env["PGHOST"], env["PGPORT"], env["PGUSER"], env["PGDATABASE"], env["PGSSLMODE"]) == \
        ("s3cret-pw", "db.example", "6432", "lms", "academy", "require")
