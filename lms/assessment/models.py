"""Question bank: one row per question, keyed by its GIFT title within a course; vi and en texts beside it."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

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

    def data(self, lang: str) -> dict:
        return (self.data_en if lang == "en" else None) or self.data_vi
