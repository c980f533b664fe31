"""Learners' answers between the attempt form, the stored JSON and the scorer. Pure.

Form fields are named after the displayed position of the question (`q3`, and `q3-0`, `q3-1`
for the pairs of a matching question). Choice values are displayed positions, never the bank's
indices, so the page reveals nothing about which answer was written first (usually the right one).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from lms.assessment.scoring import parse_number
from lms.text import nfc

MAX_TEXT = 200
_FIELD = re.compile(r"^q(\d{1,4})(?:-(\d{1,3}))?$")
_IGNORED_FIELDS = {"csrf_token", "action"}


@dataclass(frozen=True)
class ItemShape:
    """What the form needs to know of a drawn question."""

    position: int
    kind: str
    choice_order: tuple[int, ...] = ()
    match_options: tuple[str, ...] = ()
    pair_count: int = 0


class Tampered(Exception):
    """The form names a question or an answer the attempt does not have: not a learner's mistake."""


@dataclass
class ReadAnswers:
    responses: dict[int, object] = field(default_factory=dict)  # position -> stored response (None: unanswered)
    errors: dict[int, str] = field(default_factory=dict)  # position -> message code
    typed: dict[int, str] = field(default_factory=dict)  # position -> text as typed, to show it back


def _index(value: str, size: int) -> int:
    if not value.isdigit() or int(value) >= size:
        raise Tampered(f"answer {value!r} out of range")
    return int(value)


def read_answers(items: list[ItemShape], form) -> ReadAnswers:
    """Read a submitted attempt form (a werkzeug MultiDict or a dict of lists).

    Raises Tampered for unknown fields or impossible choices; returns field errors for
    answers a learner can fix (a malformed number, an overlong text).
    """
    by_position = {item.position: item for item in items}
    getlist = form.getlist if hasattr(form, "getlist") else (lambda key: list(form.get(key, [])))
    for name in form.keys():
        if name in _IGNORED_FIELDS:
            continue
        match = _FIELD.match(name)
        if not match or int(match.group(1)) not in by_position:
            raise Tampered(f"unknown field {name!r}")
        item = by_position[int(match.group(1))]
        if (match.group(2) is not None) != (item.kind == "matching") or (match.group(2) is not None and int(match.group(2)) >= item.pair_count):
            raise Tampered(f"unknown field {name!r}")
    result = ReadAnswers()
    for item in items:
        name = f"q{item.position}"
        values = [v for v in getlist(name) if v != ""]
        if item.kind == "single":
            if len(values) > 1:
                raise Tampered("several answers to a single-choice question")
            result.responses[item.position] = item.choice_order[_index(values[0], len(item.choice_order))] if values else None
        elif item.kind == "multiple":
            chosen = sorted({item.choice_order[_index(v, len(item.choice_order))] for v in values})
            result.responses[item.position] = chosen or None
        elif item.kind == "truefalse":
            if len(values) > 1 or (values and values[0] not in {"true", "false"}):
                raise Tampered("true/false answer is neither")
            result.responses[item.position] = (values[0] == "true") if values else None
        elif item.kind == "matching":
            pairs = {}
            for pair in range(item.pair_count):
                chosen = [v for v in getlist(f"{name}-{pair}") if v != ""]
                if len(chosen) > 1:
                    raise Tampered("several matches for one prompt")
                if chosen:
                    pairs[str(pair)] = item.match_options[_index(chosen[0], len(item.match_options))]
            result.responses[item.position] = pairs or None
        else:  # short, numerical: typed text
            if len(values) > 1:
                raise Tampered("several texts for one question")
            text = nfc(values[0]).strip() if values else ""
            if text:
                result.typed[item.position] = text[: MAX_TEXT * 2]
            if len(text) > MAX_TEXT:
                result.errors[item.position] = "too_long"
            elif item.kind == "numerical" and text and parse_number(text) is None:
                result.errors[item.position] = "not_a_number"
            result.responses[item.position] = text or None
    return result


def for_scoring(kind: str, stored: object) -> object:
    """The stored (JSON) response in the form lms.assessment.scoring expects."""
    if kind == "matching" and isinstance(stored, Mapping):
        return {int(key): value for key, value in stored.items()}
    return stored


def form_state(item: ItemShape, stored: object) -> dict:
    """What to pre-fill for a saved answer: displayed positions checked, texts, selected matches."""
    if stored is None:
        return {}
    if item.kind == "single":
        return {"checked": {item.choice_order.index(stored)}} if stored in item.choice_order else {}
    if item.kind == "multiple":
        return {"checked": {item.choice_order.index(i) for i in stored if i in item.choice_order}}
    if item.kind == "truefalse":
        return {"truth": stored}
    if item.kind == "matching":
        return {"selected": {int(pair): item.match_options.index(text) for pair, text in stored.items() if text in item.match_options}}
    return {"text": stored}
