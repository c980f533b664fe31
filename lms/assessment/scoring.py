"""Pure scoring of learners' responses to GIFT questions (no Flask, no database)."""
from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from lms.content.gift import FRACTION_EPSILON, Question
from lms.text import fold

UNGRADED_KINDS = ("essay", "description")
# Spaces a learner may type between digit groups: ordinary, no-break, thin, narrow no-break.
_GROUP_SPACES = re.compile(r"[\s\u00a0\u2009\u202f']+")
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:_\d{3})+")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


@dataclass(frozen=True)
class Score:
    fraction: float  # 0.0..1.0
    feedback: tuple[str, ...]  # feedback on what the learner chose, nothing else
    correct: bool  # fraction == 1.0


_ZERO = Score(0.0, (), False)


def _score(fraction: float, feedback: tuple[str, ...] = ()) -> Score:
    # Like Moodle, treat a sum such as 3 x 33.33333% as full marks and dust as nothing.
    fraction = min(1.0, max(0.0, fraction))
    if fraction > 1.0 - FRACTION_EPSILON:
        fraction = 1.0
    elif fraction < FRACTION_EPSILON:
        fraction = 0.0
    return Score(fraction, tuple(f for f in feedback if f), fraction == 1.0)


def _is_index(value: object, size: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < size


def parse_number(typed: object) -> float | None:
    """Read a number as a learner types it ("3,14", "3.14", " 1 000 "); None if it is not one.

    A single comma is a decimal comma; with both separators the last one is the decimal
    point (so "1.000,5" and "1,000.5" both mean 1000.5); repeated ones group thousands.
    """
    if isinstance(typed, bool):
        return None
    if isinstance(typed, (int, float)):
        return float(typed) if math.isfinite(typed) else None
    if not isinstance(typed, str):
        return None
    text = _GROUP_SPACES.sub("", typed).replace("\u2212", "-")
    commas, dots = text.count(","), text.count(".")
    if commas and dots:
        decimal = "," if text.rfind(",") > text.rfind(".") else "."
    elif commas == 1 or dots == 1:
        decimal = "," if commas else "."
    else:
        decimal = None
    group = {",": ".", ".": ",", None: "," if commas else "."}[decimal]
    whole, _, fraction = text.rpartition(decimal) if decimal else (text, "", "")
    if group in whole:
        if not _GROUPED.fullmatch(whole.replace(group, "_")):
            return None
        whole = whole.replace(group, "")
    if group in fraction:
        return None
    text = whole + ("." + fraction if decimal else "")
    if not _PLAIN_NUMBER.fullmatch(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def _score_single(q: Question, response: object) -> Score:
    if not _is_index(response, len(q.choices)):
        return _ZERO
    choice = q.choices[response]
    return _score(choice.fraction, (choice.feedback,))


def _score_multiple(q: Question, response: object) -> Score:
    if isinstance(response, (str, bytes, Mapping)) or not isinstance(response, Collection):
        return _ZERO
    try:
        chosen = set(response)
    except TypeError:  # unhashable items cannot be indices
        return _ZERO
    if not all(_is_index(i, len(q.choices)) for i in chosen):
        return _ZERO
    picked = [q.choices[i] for i in sorted(chosen)]
    return _score(math.fsum(c.fraction for c in picked), tuple(c.feedback for c in picked))


def _score_truefalse(q: Question, response: object) -> Score:
    if not isinstance(response, bool) or q.truth is None:
        return _ZERO
    feedback = q.true_feedback if response else q.false_feedback
    return _score(1.0 if response == q.truth else 0.0, (feedback,))


def _score_short(q: Question, response: object) -> Score:
    if not isinstance(response, str) or not fold(response):
        return _ZERO
    answer = fold(response)
    matching = [c for c in q.choices if fold(c.text) == answer]
    if not matching:
        return _ZERO
    best = max(matching, key=lambda c: c.fraction)
    return _score(best.fraction, (best.feedback,))


def _score_numerical(q: Question, response: object) -> Score:
    value = parse_number(response)
    if value is None:
        return _ZERO
    matching = [a for a in q.numeric if a.minimum <= value <= a.maximum]
    if not matching:
        return _ZERO
    best = max(matching, key=lambda a: a.fraction)
    return _score(best.fraction, (best.feedback,))


def _score_matching(q: Question, response: object) -> Score:
    if not isinstance(response, Mapping) or not q.pairs:
        return _ZERO
    right = sum(1 for i, pair in enumerate(q.pairs) if response.get(i) == pair.match)
    return _score(right / len(q.pairs))


_SCORERS = {
    "single": _score_single,
    "multiple": _score_multiple,
    "truefalse": _score_truefalse,
    "short": _score_short,
    "numerical": _score_numerical,
    "matching": _score_matching,
}


def score_response(question: Question, response: object) -> Score:
    """Score one response: a wrong type or out-of-range answer scores 0; essays raise ValueError.

    single: choice index; multiple: collection of indices; truefalse: bool; short: text;
    numerical: text as typed; matching: {pair index: chosen match text}. A missing-word
    question takes the response of its kind.
    """
    if question.kind in UNGRADED_KINDS:
        raise ValueError(f"a {question.kind} question is not graded automatically")
    scorer = _SCORERS.get(question.kind)
    if scorer is None:
        raise ValueError(f"unknown question kind {question.kind!r}")
    return scorer(question, response)
