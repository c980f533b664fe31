"""Shared fixtures: one schema per test run (built by the migrations), wiped after every test."""
from __future__ import annotations

import itertools
import os
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import event, text

from lms import create_app, migrate
from lms.accounts.services import NewAccount, register_user
from lms.db import make_engine
from lms.models import Base

PASSWORD = "correct-horse-battery"
_counter = itertools.count(1)


def _test_database_url(tmp_root: Path) -> str:
    return os.environ.get("LMS_TEST_DATABASE_URL") or f"sqlite:///{tmp_root / 'test.sqlite3'}"


@pytest.fixture(scope="session", autouse=True)
def quick_password_hashing():
    """Argon2 at its production cost takes 50-150 ms a hash and as long to check, and tests sign in thousands
    of times: they use the same algorithm at its lowest cost (still above the roster's temporary-password
    cost, so upgrading those on first login is still tested). Servers started as subprocesses keep the real cost."""
    from argon2 import PasswordHasher

    from lms.accounts import services

    quick = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    patch = pytest.MonkeyPatch()
    patch.setattr(services, "_hasher", quick)
    patch.setattr(services, "_DUMMY_HASH", quick.hash("timing-equaliser-password"))
    yield
    patch.undo()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = _test_database_url(tmp_path_factory.mktemp("db"))
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    migrate.upgrade(engine)
    engine.dispose()
    return url


def wipe(engine) -> None:
    """Empty every table so the next test starts from nothing (proven by a test on both engines)."""
    tables = [table.name for table in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(text(f'DELETE FROM "{table}"'))


@pytest.fixture
def app_config(database_url, tmp_path):
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "WTF_CSRF_ENABLED": False,
        "PUBLIC_URL": "http://localhost",
        # generous limits: tests sign in often; tests of the limits set their own
        "LOGIN_RATE_LIMIT": "1000 per minute",
        "VERIFY_RATE_LIMIT": "1000 per minute",
    }


def with_signing_key(application):
    """Give the app its first certificate-signing key, as `flask lms init` does."""
    from lms.credentials.keys import KeyStore

    KeyStore(Path(application.config["SIGNING_KEYS_DIR"])).create()
    return application


@pytest.fixture
def app(app_config):
    application = with_signing_key(create_app(app_config))
    yield application
    engine = application.extensions["lms_db"].engine
    wipe(engine)
    engine.dispose()


@pytest.fixture
def csrf_app(app_config):
    """An app with CSRF protection on, as in production."""
    application = with_signing_key(create_app({**app_config, "WTF_CSRF_ENABLED": True}))
    yield application
    engine = application.extensions["lms_db"].engine
    wipe(engine)
    engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def session(app):
    """The app's database session inside an app context (for services and factories)."""
    from lms.extensions import db

    with app.app_context():
        yield db.session


def make_user(session, role="learner", login=None, password=PASSWORD, name="Nguyễn Văn An", province="ha-noi", business="", locale=None):
    """Create and commit a user; logins are unique per call unless given."""
    login = login or f"user{next(_counter)}@example.com"
    user = register_user(session, NewAccount(login=login, full_name=name, password=password, province=province, business_name=business, role=role, locale=locale))
    session.commit()
    return user


@pytest.fixture
def users(app):
    """One account per role, created in their own app context; returns {role: (id, login)}."""
    from lms.extensions import db

    created = {}
    with app.app_context():
        for role in ("learner", "trainer", "verifier", "admin"):
            user = make_user(db.session, role=role, login=f"{role}@example.com", name=f"Người dùng {role}")
            created[role] = (user.id, user.login)
    return created


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, login="learner@example.com", password=PASSWORD, remember=False):
        data = {"login": login, "password": password}
        if remember:
            data["remember"] = "y"
        return self._client.post("/login", data=data)

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


class QueryCounter:
    """Counts SQL statements executed by an engine (to catch N+1 queries)."""

    def __init__(self, engine):
        self.engine = engine
        self.count = 0

    def _on_execute(self, *args, **kwargs):
        self.count += 1

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._on_execute)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._on_execute)


@pytest.fixture
def count_queries(app):
    return lambda: QueryCounter(app.extensions["lms_db"].engine)


def make_course(session, slug="honey-basics", modules=(("basics", 3), ("selling", 2)), required=False, prerequisites=(), require_reading_time=False, title="Mật ong cơ bản"):
    """Create and commit a published course with version 1 listing all its lessons."""
    from lms.catalog.models import Course, CourseVersion, Lesson, Module
    from lms.text import fold

    course = Course(slug=slug, track="packaging", title_vi=title, title_en="Honey basics", summary_vi="Bao bì cho mật ong", summary_en="Packaging honey",
                    search_text=fold(f"{title} Honey basics Bao bì cho mật ong"), required_for_onboarding=required, prerequisites=list(prerequisites),
                    require_reading_time=require_reading_time, version=1)
    session.add(course)
    session.flush()
    lesson_ids = []
    for m_index, (module_slug, count) in enumerate(modules, 1):
        module = Module(course_id=course.id, slug=module_slug, position=m_index, title_vi=f"Chương {m_index}", title_en=f"Module {m_index}")
        session.add(module)
        session.flush()
        for l_index in range(1, count + 1):
            lesson = Lesson(module_id=module.id, slug=f"lesson-{l_index}", position=l_index, minutes=4, title_vi=f"Bài {m_index}.{l_index}", title_en=f"Lesson {m_index}.{l_index}",
                            html_vi=f"<p>Nội dung {m_index}.{l_index}</p>", html_en=f"<p>Content {m_index}.{l_index}</p>")
            session.add(lesson)
            session.flush()
            lesson_ids.append(lesson.id)
    session.add(CourseVersion(course_id=course.id, number=1, lesson_ids=lesson_ids, content_hash="test"))
    session.commit()
    return course


# One question of every graded kind, in GIFT, per module; the first answer is the right one where it matters.
QUESTION_BANK_VI = """
::{module}-single:: Mật ong nên bảo quản ở đâu? {{=Nơi khô mát#Đúng, tránh ẩm. ~Ngoài nắng#Nắng làm hỏng mật. ~Trong tủ đông}}

::{module}-multiple:: Nhãn phải có những gì? {{~%50%Tên sản phẩm ~%50%Hạn sử dụng ~%-100%Số điện thoại người bán hàng rong}}

::{module}-truefalse:: Có thể ghi "chữa bệnh" trên nhãn thực phẩm. {{F#Không được quảng cáo chữa bệnh.#Đúng rồi, đây là sai.}}

::{module}-short:: Đơn vị đo khối lượng viết tắt là gì? {{=kg =ki lô gam}}

::{module}-numerical:: Hạn đóng gói đơn livestream là bao nhiêu giờ? {{#24:2}}

::{module}-matching:: Ghép nền tảng với loại hình. {{=Shopee -> Sàn thương mại điện tử =TikTok -> Mạng xã hội video =Zalo -> Ứng dụng nhắn tin}}

::{module}-missing:: Mật ong {{=nguyên chất ~pha đường ~pha nước}} được bán với giá cao nhất.

::{module}-essay:: Kể về buổi livestream đầu tiên của bạn. {{}}
"""
QUESTION_BANK_EN = QUESTION_BANK_VI.replace("Mật ong nên bảo quản ở đâu?", "Where should honey be stored?").replace("Nơi khô mát", "A cool dry place")


def make_questions(session, course, kinds=("single", "multiple", "truefalse", "short", "numerical", "matching", "missing", "essay")):
    """Give every module of the course one question of each kind (vi and en), as the importer stores them; returns titles."""
    from sqlalchemy import select

    from lms.assessment.bank import fingerprint, to_data
    from lms.assessment.models import Question
    from lms.catalog.models import Module
    from lms.content.gift import parse_gift

    titles = []
    for module in session.scalars(select(Module).where(Module.course_id == course.id).order_by(Module.position)):
        vi = {q.title: q for q in parse_gift(QUESTION_BANK_VI.format(module=module.slug))}
        en = {q.title: q for q in parse_gift(QUESTION_BANK_EN.format(module=module.slug))}
        for position, kind in enumerate(kinds):
            title = f"{module.slug}-{kind}"
            session.add(Question(course_id=course.id, module_id=module.id, title=title, kind=vi[title].kind, position=position,
                                 data_vi=to_data(vi[title]), data_en=to_data(en[title]), content_hash=fingerprint(title)))
            titles.append(title)
    session.commit()
    return titles
