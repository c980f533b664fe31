"""Catalogue models: courses, their versions, modules, lessons and assets."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import Base, UTCDateTime, utcnow

DRAFT, PUBLISHED = "draft", "published"
# when a learner may see the correct answers of a submitted attempt
SHOW_CORRECT_ANSWERS = ("after_passing", "after_passing_or_last_attempt")


class Course(Base):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    track: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12), default=PUBLISHED)
    version: Mapped[int] = mapped_column(Integer, default=1)
    title_vi: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    summary_vi: Mapped[str] = mapped_column(Text, default="")
    summary_en: Mapped[str] = mapped_column(Text, default="")
    # folded vi + en titles and summaries, for search without diacritics
    search_text: Mapped[str] = mapped_column(Text, default="")
    estimated_hours: Mapped[float] = mapped_column(Float, default=1.0)
    pass_mark: Mapped[int] = mapped_column(Integer, default=80)
    certificate_validity_months: Mapped[int] = mapped_column(Integer, default=24)
    required_for_onboarding: Mapped[bool] = mapped_column(Boolean, default=False)
    prerequisites: Mapped[list] = mapped_column(JSON, default=list)
    questions_per_attempt: Mapped[int] = mapped_column(Integer, default=20)
    # attempts allowed before a cooldown, and its length; 0 minutes = no time limit
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    cooldown_hours: Mapped[int] = mapped_column(Integer, default=24)
    time_limit_minutes: Mapped[int] = mapped_column(Integer, default=0)
    show_correct_answers: Mapped[str] = mapped_column(String(40), default=SHOW_CORRECT_ANSWERS[1])
    # lessons can be marked complete only after half their estimated reading time (server-measured)
    require_reading_time: Mapped[bool] = mapped_column(Boolean, default=False)
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    revision: Mapped[int] = mapped_column(Integer, default=1)

    modules: Mapped[list[Module]] = relationship(back_populates="course", order_by="Module.position")
    versions: Mapped[list[CourseVersion]] = relationship(back_populates="course", order_by="CourseVersion.number")

    def title(self, lang: str) -> str:
        return (self.title_en if lang == "en" else "") or self.title_vi

    def summary(self, lang: str) -> str:
        return (self.summary_en if lang == "en" else "") or self.summary_vi


class CourseVersion(Base):
    """A published state of a course: which lessons it requires, and what changed since the last one."""

    __tablename__ = "course_versions"
    __table_args__ = (UniqueConstraint("course_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    lesson_ids: Mapped[list] = mapped_column(JSON, default=list)
    content_hash: Mapped[str] = mapped_column(String(64))
    change_note: Mapped[str] = mapped_column(Text, default="")
    requires_recertification: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    course: Mapped[Course] = relationship(back_populates="versions")


class Module(Base):
    __tablename__ = "modules"
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer)
    title_vi: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    is_published: Mapped[bool] = mapped_column(Boolean, default=True)

    course: Mapped[Course] = relationship(back_populates="modules")
    lessons: Mapped[list[Lesson]] = relationship(back_populates="module", order_by="Lesson.position")

    def title(self, lang: str) -> str:
        return (self.title_en if lang == "en" else "") or self.title_vi


class Lesson(Base):
    """A lesson keeps its identity (course, module slug, lesson slug) across versions, so progress stays attached."""

    __tablename__ = "lessons"
    __table_args__ = (UniqueConstraint("module_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer)
    is_published: Mapped[bool] = mapped_column(Boolean, default=True)
    minutes: Mapped[int] = mapped_column(Integer, default=5)
    as_of: Mapped[date | None] = mapped_column(Date)
    video_url: Mapped[str | None] = mapped_column(String(500))
    title_vi: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    body_vi: Mapped[str] = mapped_column(Text, default="")
    body_en: Mapped[str] = mapped_column(Text, default="")
    # sanitised HTML, rendered once when the Markdown is imported or saved
    html_vi: Mapped[str] = mapped_column(Text, default="")
    html_en: Mapped[str] = mapped_column(Text, default="")
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # bumped by every save in the editor: a save based on an older revision is a conflict
    revision: Mapped[int] = mapped_column(Integer, default=1)
    # when each language's text last changed, so the editor can say "the English is older"
    vi_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    en_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    module: Mapped[Module] = relationship(back_populates="lessons")

    def title(self, lang: str) -> str:
        return (self.title_en if lang == "en" else "") or self.title_vi

    def html(self, lang: str) -> str:
        return (self.html_en if lang == "en" else "") or self.html_vi


class CourseAsset(Base):
    """An image or attachment of a course; the bytes live in file storage under `storage_key`."""

    __tablename__ = "course_assets"
    __table_args__ = (UniqueConstraint("course_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(80))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
