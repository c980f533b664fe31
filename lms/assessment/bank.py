"""Questions between their parsed GIFT form and the JSON stored in the database. Pure."""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict

from lms.content.gift import Choice, MatchPair, NumericAnswer, Question

GRADED_KINDS = {"single", "multiple", "truefalse", "short", "numerical", "matching"}


def to_data(question: Question) -> dict:
    data = asdict(question)
    data.pop("line", None)
    return data


def from_data(data: dict) -> Question:
    return Question(
        **{
            **data,
            "choices": tuple(Choice(**c) for c in data.get("choices", ())),
            "numeric": tuple(NumericAnswer(**n) for n in data.get("numeric", ())),
            "pairs": tuple(MatchPair(**p) for p in data.get("pairs", ())),
        }
    )


def fingerprint(*parts) -> str:
    """A stable SHA-256 over JSON-able parts (content change detection)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def answer_shape(question: Question) -> tuple:
    """What must agree between the vi and en versions of a question for one answer key to serve both."""
    return (
        question.kind,
        question.text_after is not None,
        tuple(sorted(round(c.fraction, 4) for c in question.choices)) if question.kind != "short" else (),
        tuple((n.minimum, n.maximum, n.fraction) for n in question.numeric),
        len(question.pairs),
        question.truth,
    )
