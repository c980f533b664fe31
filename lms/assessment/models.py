"""Question bank (one row per question, keyed by its GIFT title within a course) and learners' attempts."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import Base, UTCDateTime, utcnow


class Question(Base):
    __tablename__ = "questions"
    __table_args__ = (UniqueConstraint("course_id", "title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    module_id: Mapped[int | None] = mapped_column(ForeignKey("modules.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(Integer, default=0)
    # the parsed GIFT question (lms.content.gift.Question as a dict), per language
    data_vi: Mapped[dict] = mapped_column(JSON)
    data_en: Mapped[dict | None] = mapped_column(JSON)
    # retired questions stay for past attempts but are never drawn again
    is_retired: Mapped[bool] = mapped_column(Boolean, default=False)
    content_hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    revision: Mapped[int] = mapped_column(Integer, default=1)

    def data(self, lang: str) -> dict:
        return (self.data_en if lang == "en" else None) or self.data_vi


IN_PROGRESS, SUBMITTED = "in_progress", "submitted"
FINAL, RENEWAL = "final", "renewal"


class Attempt(Base):
    """One try at a course's final assessment. Never deleted: scores are kept as they were given."""

    __tablename__ = "attempts"
    __table_args__ = (UniqueConstraint("user_id", "course_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    # the learner's own count for this course: two tabs starting at once cannot both take the same number
    number: Mapped[int] = mapped_column(Integer)
    course_version: Mapped[int] = mapped_column(Integer)
    # "final", or "renewal": a shorter refresher that renews a certificate
    purpose: Mapped[str] = mapped_column(String(10), default=FINAL)
    lang: Mapped[str] = mapped_column(String(5))
    status: Mapped[str] = mapped_column(String(12), default=IN_PROGRESS)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # percent with two decimals, and the pass mark it was judged against
    score: Mapped[float | None] = mapped_column(Float)
    pass_mark: Mapped[int] = mapped_column(Integer)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    # "learner", or "time_limit" when the server closed it at the deadline
    submitted_by: Mapped[str | None] = mapped_column(String(20))

    items: Mapped[list[AttemptItem]] = relationship(back_populates="attempt", order_by="AttemptItem.position")


class AttemptItem(Base):
    """A drawn question with its shuffle and the learner's answer; the question is copied so later edits do not change it."""

    __tablename__ = "attempt_items"
    __table_args__ = (UniqueConstraint("attempt_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), index=True)
    # the question as drawn, in the attempt's language (lms.assessment.bank.to_data form)
    question_data: Mapped[dict] = mapped_column(JSON)
    # displayed position -> original choice index; for matching, the shuffled list of match texts
    choice_order: Mapped[list] = mapped_column(JSON, default=list)
    match_options: Mapped[list] = mapped_column(JSON, default=list)
    # the saved answer in scoring.score_response form (JSON: matching keys are strings)
    response: Mapped[object | None] = mapped_column(JSON)
    fraction: Mapped[float | None] = mapped_column(Float)
    feedback: Mapped[list] = mapped_column(JSON, default=list)

    attempt: Mapped[Attempt] = relationship(back_populates="items")
