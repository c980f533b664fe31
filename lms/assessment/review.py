"""What a learner and a trainer read about answers: the given answer and the right one as text. Pure."""
from __future__ import annotations

from collections.abc import Mapping

from lms.content.gift import NumericAnswer, Question


def _number(value: float) -> str:
    return f"{value:g}"


def describe_numeric(answer: NumericAnswer) -> str:
    if answer.value is None:
        return f"{_number(answer.minimum)}–{_number(answer.maximum)}"
    if answer.tolerance:
        return f"{_number(answer.value)} ± {_number(answer.tolerance)}"
    return _number(answer.value)


def describe_response(question: Question, stored: object, truth_labels: Mapping[bool, str]) -> list[str]:
    """The learner's stored answer as lines of text (empty when unanswered or unreadable)."""
    if stored is None:
        return []
    kind = question.kind
    if kind == "single" and isinstance(stored, int) and 0 <= stored < len(question.choices):
        return [question.choices[stored].text]
    if kind == "multiple" and isinstance(stored, list):
        return [question.choices[i].text for i in stored if isinstance(i, int) and 0 <= i < len(question.choices)]
    if kind == "truefalse" and isinstance(stored, bool):
        return [truth_labels[stored]]
    if kind == "matching" and isinstance(stored, Mapping):
        return [f"{pair.prompt} → {stored[str(i)]}" for i, pair in enumerate(question.pairs) if str(i) in stored]
    if kind in {"short", "numerical"} and isinstance(stored, str):
        return [stored]
    return []


def correct_answers(question: Question, truth_labels: Mapping[bool, str]) -> list[str]:
    """The answers that earn full marks (for multiple answers: every answer with positive weight)."""
    kind = question.kind
    if kind == "truefalse" and question.truth is not None:
        return [truth_labels[question.truth]]
    if kind == "multiple":
        return [c.text for c in question.choices if c.fraction > 0]
    if kind in {"single", "short"}:
        best = max((c.fraction for c in question.choices), default=0)
        return [c.text for c in question.choices if c.fraction == best and best > 0]
    if kind == "numerical":
        best = max((a.fraction for a in question.numeric), default=0)
        return [describe_numeric(a) for a in question.numeric if a.fraction == best and best > 0]
    if kind == "matching":
        return [f"{pair.prompt} → {pair.match}" for pair in question.pairs]
    return []


def verdict(fraction: float | None, answered: bool) -> str:
    if not answered:
        return "unanswered"
    if fraction is None:
        return "pending"
    if fraction >= 1.0:
        return "right"
    return "partial" if fraction > 0 else "wrong"
