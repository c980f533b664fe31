"""Schema, migrations and per-test isolation on whichever engine the suite runs on."""
from sqlalchemy import create_engine, inspect, select, text

from lms import migrate
from lms.accounts.models import User
from lms.db import make_engine
from lms.models import Base
from tests.conftest import make_user


def test_migrations_have_a_single_head():
    assert len(migrate.heads()) == 1


def test_upgrade_from_empty_creates_every_model_table(database_url):
    # the session fixture upgraded an empty database; the result must match the models
    engine = make_engine(database_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def _fresh_engine(database_url, tmp_path):
    """An empty database: a new SQLite file, or a new schema on the PostgreSQL test server."""
    if not database_url.startswith("postgresql"):
        return make_engine(f"sqlite:///{tmp_path / 'fresh.sqlite3'}"), None
    admin = make_engine(database_url)
    with admin.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS fresh_check CASCADE"))
        connection.execute(text("CREATE SCHEMA fresh_check"))
    return create_engine(database_url, connect_args={"options": "-csearch_path=fresh_check"}), admin


def test_upgrade_from_empty_works_on_a_fresh_database(tmp_path, database_url):
    engine, admin = _fresh_engine(database_url, tmp_path)
    try:
        migrate.upgrade(engine)
        migrate.upgrade(engine)  # a second run changes nothing
        with engine.connect() as connection:
            names = set(inspect(connection).get_table_names())
        assert set(Base.metadata.tables) <= names
    finally:
        engine.dispose()
        if admin is not None:
            with admin.begin() as connection:
                connection.execute(text("DROP SCHEMA IF EXISTS fresh_check CASCADE"))
            admin.dispose()


def test_sqlite_runs_with_wal_and_foreign_keys(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 10000
    engine.dispose()


def test_isolation_first_test_writes_a_user(session):
    make_user(session, login="isolation@example.com")
    assert session.scalar(select(User).where(User.email == "isolation@example.com")) is not None


def test_isolation_second_test_sees_nothing_of_the_first(session):
    # runs after the test above (pytest keeps file order): the table must be empty again
    assert session.scalars(select(User)).all() == []


def test_datetimes_come_back_aware_in_utc(session):
    user = make_user(session)
    session.expire_all()
    again = session.get(User, user.id)
    assert again.created_at.tzinfo is not None
    assert again.created_at.utcoffset().total_seconds() == 0
