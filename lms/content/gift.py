"""Moodle GIFT question format: a pure parser, writer and answer-key checker (no Flask, no database)."""
from __future__ import annotations

import bisect
import math
import re
from decimal import Decimal
from collections.abc import Iterable
from dataclasses import dataclass, field

from lms.text import fold

KINDS = ("single", "multiple", "truefalse", "short", "numerical", "matching", "essay", "description")
TEXT_FORMATS = ("moodle", "markdown", "html", "plain")

# What follows a backslash. Moodle documents \~ \= \# \{ \} \: and \n; it also accepts \\.
# \> is ours: it lets a matching prompt or an answer contain a literal "->".
_ESCAPES = {"~": "~", "=": "=", "#": "#", "{": "{", "}": "}", ":": ":", "n": "\n", "\\": "\\", ">": ">"}
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}
_CATEGORY = "$CATEGORY:"
# Moodle calls a fraction within this distance of 1 or 0 "right" or "wrong"; so do we.
FRACTION_EPSILON = 1e-6


@dataclass(frozen=True)
class Choice:
    """One answer option of a multiple-choice, short-answer or missing-word question."""

    text: str
    fraction: float  # weight / 100, in -1.0..1.0
    feedback: str = ""


@dataclass(frozen=True)
class NumericAnswer:
    """An accepted numeric interval; value/tolerance remember how it was written."""

    minimum: float
    maximum: float
    fraction: float = 1.0
    feedback: str = ""
    value: float | None = None  # None: written as a range "a..b"
    tolerance: float | None = None  # None with a value: written as an exact "v"

    @classmethod
    def exact(cls, value: float, fraction: float = 1.0, feedback: str = "") -> NumericAnswer:
        return cls(value, value, fraction, feedback, value=value)

    @classmethod
    def within(cls, value: float, tolerance: float, fraction: float = 1.0, feedback: str = "") -> NumericAnswer:
        return cls(value - tolerance, value + tolerance, fraction, feedback, value=value, tolerance=tolerance)

    @classmethod
    def between(cls, minimum: float, maximum: float, fraction: float = 1.0, feedback: str = "") -> NumericAnswer:
        return cls(minimum, maximum, fraction, feedback)


@dataclass(frozen=True)
class MatchPair:
    prompt: str
    match: str


@dataclass(frozen=True)
class Question:
    """One GIFT question; text_after is not None for a missing-word question."""

    title: str
    kind: str
    text: str
    text_format: str = "moodle"
    category: str | None = None
    choices: tuple[Choice, ...] = ()
    numeric: tuple[NumericAnswer, ...] = ()
    pairs: tuple[MatchPair, ...] = ()
    truth: bool | None = None
    true_feedback: str = ""  # shown to a learner who answers True
    false_feedback: str = ""  # shown to a learner who answers False
    text_after: str | None = None
    general_feedback: str = ""
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class GiftError(Exception):
    """Raised by parse_gift with every problem found in the file."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


# --------------------------------------------------------------------------- parsing


class _Chars:
    """Decoded text plus a probe string in which escaped characters are masked.

    Searching the probe finds only unescaped (structural) characters; `text` holds
    what the author meant; `pos` maps each character back to its source offset.
    """

    __slots__ = ("text", "probe", "pos", "end")

    def __init__(self, text: str, probe: str, pos: list[int], end: int):
        self.text, self.probe, self.pos, self.end = text, probe, pos, end

    def __len__(self) -> int:
        return len(self.text)

    def __getitem__(self, key: slice) -> _Chars:
        pos = self.pos[key]
        start = key.start or 0
        end = pos[0] if pos else (self.pos[start] if start < len(self.pos) else self.end)
        return _Chars(self.text[key], self.probe[key], pos, end)

    def at(self, index: int = 0) -> int:
        """Source offset of character `index` (or of where this span sits if it is empty)."""
        return self.pos[index] if index < len(self.pos) else self.end

    def strip(self) -> _Chars:
        left = len(self.text) - len(self.text.lstrip())
        right = len(self.text.rstrip())
        return self[left:max(left, right)]

    def split_at(self, markers: str) -> tuple[_Chars, list[_Chars]]:
        """Split before every unescaped marker character: (text before the first, [items])."""
        cuts = [i for i, ch in enumerate(self.probe) if ch in markers]
        if not cuts:
            return self, []
        items = [self[a:b] for a, b in zip(cuts, cuts[1:] + [len(self)])]
        return self[: cuts[0]], items


def _lex(raw: str, base: int, problems: list[tuple[int, str]]) -> _Chars:
    text, probe, pos = [], [], []
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\":
            nxt = raw[i + 1 : i + 2]
            if nxt and nxt in _ESCAPES:
                text.append(_ESCAPES[nxt])
                probe.append("\0")
                pos.append(base + i)
                i += 2
                continue
            if nxt in ("", "\n"):
                message = "a backslash at the end of a line escapes nothing (write '\\\\' for a backslash)"
            else:
                message = f"unknown escape '\\{nxt}' (write '\\\\' for a backslash)"
            problems.append((base + i, message))
            ch = "\\"
            probe.append("\0")
        else:
            probe.append(ch)
        text.append(ch)
        pos.append(base + i)
        i += 1
    return _Chars("".join(text), "".join(probe), pos, base + len(raw))


class _BlockError(Exception):
    def __init__(self, offset: int, message: str):
        super().__init__(message)
        self.offset, self.message = offset, message


def _number(raw: str, what: str, at: int) -> float:
    text = raw.strip()
    shown = repr(text if len(text) <= 40 else text[:37] + "...")
    if not _NUMBER.fullmatch(text):
        raise _BlockError(at, f"{what} {shown} is not a number")
    value = float(text)
    if not math.isfinite(value):
        raise _BlockError(at, f"{what} {shown} is too large")
    return value


def _weight(item: _Chars, default: float) -> tuple[float, _Chars]:
    """Read an optional %weight% at the start of an answer (after its = or ~)."""
    body = item.strip()
    if not body.probe.startswith("%"):
        return default, body
    close = body.probe.find("%", 1)
    if close < 0:
        raise _BlockError(body.at(), "answer weight is missing its closing '%'")
    percent = body.text[1:close].strip()
    _number(percent, "answer weight", body.at())
    # Divide in decimal so that every fraction the writer emits reads back exactly.
    return float(Decimal(percent).scaleb(-2)), body[close + 1 :].strip()


def _feedback(item: _Chars) -> tuple[_Chars, str]:
    hash_at = item.probe.find("#")
    if hash_at < 0:
        return item.strip(), ""
    return item[:hash_at].strip(), item[hash_at + 1 :].strip().text


def _answer_text(item: _Chars) -> str:
    if not item.text:
        raise _BlockError(item.at(), "empty answer")
    return item.text


def _items(block: _Chars, markers: str, what: str) -> list[_Chars]:
    head, items = block.split_at(markers)
    if head.strip().text:
        raise _BlockError(head.at(), f"{what} must start with {' or '.join(repr(m) for m in markers)}")
    return items


def _parse_choices(block: _Chars) -> tuple[str, tuple[Choice, ...]]:
    choices, marked_right = [], False
    for item in _items(block, "=~", "each answer"):
        right = item.probe[0] == "="
        marked_right = marked_right or right
        fraction, rest = _weight(item[1:], 1.0 if right else 0.0)
        text, feedback = _feedback(rest)
        choices.append(Choice(_answer_text(text), fraction, feedback))
    full = [c for c in choices if c.fraction == 1.0]
    positive = [c for c in choices if c.fraction > 0]
    single = marked_right and len(full) == 1 and len(positive) == 1
    return ("single" if single else "multiple"), tuple(choices)


def _parse_short(block: _Chars) -> tuple[Choice, ...]:
    choices = []
    for item in _items(block, "=", "each answer"):
        fraction, rest = _weight(item[1:], 1.0)
        text, feedback = _feedback(rest)
        choices.append(Choice(_answer_text(text), fraction, feedback))
    return tuple(choices)


def _parse_pairs(block: _Chars) -> tuple[MatchPair, ...]:
    pairs = []
    for item in _items(block, "=", "each matching pair"):
        body = item[1:]
        arrow = body.probe.find("->")
        if arrow < 0:
            raise _BlockError(item.at(), "a matching pair is written '=prompt -> match'")
        if "#" in body.probe:
            raise _BlockError(item.at(), "matching pairs take no #feedback (escape it as \\#)")
        prompt, match = body[:arrow].strip(), body[arrow + 2 :].strip()
        if not prompt.text or not match.text:
            raise _BlockError(item.at(), "a matching pair needs text on both sides of '->'")
        pairs.append(MatchPair(prompt.text, match.text))
    return tuple(pairs)


def _parse_numeric_spec(spec: _Chars, fraction: float, feedback: str) -> NumericAnswer:
    at = spec.at()
    if not spec.text:
        raise _BlockError(at, "numerical answer is missing its number")
    dots = spec.probe.find("..")
    if dots >= 0:
        low = _number(spec.text[:dots], "range start", at)
        high = _number(spec.text[dots + 2 :], "range end", at)
        return NumericAnswer(low, high, fraction, feedback)
    colon = spec.probe.find(":")
    if colon >= 0:
        value = _number(spec.text[:colon], "numerical answer", at)
        tolerance = _number(spec.text[colon + 1 :], "tolerance", at)
        return NumericAnswer(value - tolerance, value + tolerance, fraction, feedback, value, tolerance)
    value = _number(spec.text, "numerical answer", at)
    return NumericAnswer(value, value, fraction, feedback, value)


def _parse_numeric(block: _Chars) -> tuple[NumericAnswer, ...]:
    body = block[1:].strip()  # drop the leading '#'
    if not body.text:
        raise _BlockError(block.at(), "numerical answer block '{#' has no number")
    if body.probe[0] not in "=~":
        fraction, rest = _weight(body, 1.0)
        spec, feedback = _feedback(rest)
        return (_parse_numeric_spec(spec, fraction, feedback),)
    answers = []
    for item in _items(body, "=~", "each numerical answer"):
        fraction, rest = _weight(item[1:], 1.0 if item.probe[0] == "=" else 0.0)
        spec, feedback = _feedback(rest)
        answers.append(_parse_numeric_spec(spec, fraction, feedback))
    return tuple(answers)


def _parse_truefalse(block: _Chars) -> dict:
    parts, rest = [], block
    for _ in range(2):  # answer#wrong-feedback#right-feedback; later '#' belong to the last part
        hash_at = rest.probe.find("#")
        if hash_at < 0:
            break
        parts.append(rest[:hash_at])
        rest = rest[hash_at + 1 :]
    parts.append(rest)
    truth = _TRUE_FALSE[parts[0].strip().text.upper()]
    wrong = parts[1].strip().text if len(parts) > 1 else ""
    right = parts[2].strip().text if len(parts) > 2 else ""
    if truth:
        return {"truth": True, "true_feedback": right, "false_feedback": wrong}
    return {"truth": False, "true_feedback": wrong, "false_feedback": right}


def _is_truefalse(block: _Chars) -> bool:
    hash_at = block.probe.find("#")
    head = (block[:hash_at] if hash_at >= 0 else block).strip()
    return "\0" not in head.probe and head.text.upper() in _TRUE_FALSE


def _parse_answers(block: _Chars) -> dict:
    """Classify an answer block (without general feedback) the way Moodle does and parse it."""
    if not block.text:
        return {"kind": "essay"}
    probe = block.probe
    if probe[0] == "#":
        return {"kind": "numerical", "numeric": _parse_numeric(block)}
    if "~" in probe:
        if "->" in probe:
            raise _BlockError(block.at(probe.find("->")), "'->' is only for matching questions (escape it as -\\>)")
        kind, choices = _parse_choices(block)
        return {"kind": kind, "choices": choices}
    if "=" in probe and "->" in probe:
        return {"kind": "matching", "pairs": _parse_pairs(block)}
    if _is_truefalse(block):
        return {"kind": "truefalse", **_parse_truefalse(block)}
    if probe[0] == "=":
        return {"kind": "short", "choices": _parse_short(block)}
    raise _BlockError(block.at(), "answers must start with '=' or '~' (or be T, F, #number or empty)")


def _parse_question(chars: _Chars, category: str | None, line: int) -> Question:
    s = chars.strip()
    title = ""
    if s.probe.startswith("::"):
        close = s.probe.find("::", 2)
        if close < 0:
            raise _BlockError(s.at(), "question title is missing its closing '::'")
        title = s[2:close].strip().text
        s = s[close + 2 :].strip()
    text_format = "moodle"
    if s.probe.startswith("["):
        close = s.probe.find("]")
        if close > 0 and s.text[1:close] in TEXT_FORMATS:
            text_format = s.text[1:close]
            s = s[close + 1 :].strip()
    common = {"title": title, "text_format": text_format, "category": category, "line": line}

    opening, closing = s.probe.find("{"), s.probe.find("}")
    if opening < 0:
        if closing >= 0:
            raise _BlockError(s.at(closing), "'}' without a matching '{' (escape it as \\})")
        if not s.text:
            raise _BlockError(s.at(), "question has no text")
        return Question(kind="description", text=s.text, **common)
    if 0 <= closing < opening:
        raise _BlockError(s.at(closing), "'}' without a matching '{' (escape it as \\})")
    closing = s.probe.find("}", opening + 1)
    if closing < 0:
        raise _BlockError(s.at(opening), "answer block '{' is never closed with '}'")
    nested = s.probe.find("{", opening + 1)
    if 0 <= nested < closing:
        raise _BlockError(s.at(nested), "'{' inside an answer block (escape it as \\{)")
    after = s[closing + 1 :]
    for ch in "{}":
        if ch in after.probe:
            where = after.at(after.probe.find(ch))
            if ch == "{":
                raise _BlockError(where, "a question has only one answer block (escape '{' as \\{)")
            raise _BlockError(where, "'}' without a matching '{' (escape it as \\})")
    before, after = s[:opening].strip(), after.strip()
    if not before.text and not after.text:
        raise _BlockError(s.at(opening), "answer block without question text")

    block = s[opening + 1 : closing]
    general_at = block.probe.find("####")
    general = ""
    if general_at >= 0:
        general = block[general_at + 4 :].strip().text
        block = block[:general_at]
    parts = _parse_answers(block.strip())
    return Question(
        text=before.text,
        text_after=after.text or None,
        general_feedback=general,
        **common,
        **parts,
    )


def parse_gift(text: str, filename: str = "<gift>") -> list[Question]:
    """Parse Moodle GIFT text into questions; raise GiftError listing every problem found.

    Questions are separated by blank lines; `//` lines are comments; a `$CATEGORY:` line
    sets the category of the questions after it (an empty one clears it).
    """
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    questions: list[Question] = []
    problems: list[Problem] = []
    category: str | None = None
    block: list[tuple[int, str]] = []

    def flush() -> None:
        if not block:
            return
        starts, offset = [], 0
        for _, line in block:
            starts.append(offset)
            offset += len(line) + 1
        numbers = [n for n, _ in block]

        def line_of(off: int) -> int:
            return numbers[max(0, bisect.bisect_right(starts, off) - 1)]

        found: list[tuple[int, str]] = []
        chars = _lex("\n".join(line for _, line in block), 0, found)
        if not found:
            try:
                questions.append(_parse_question(chars, category, numbers[0]))
            except _BlockError as exc:
                found.append((exc.offset, exc.message))
        problems.extend(Problem(filename, line_of(off), message) for off, message in found)
        block.clear()

    for number, line in enumerate(text.split("\n"), 1):
        stripped = line.strip()
        if not stripped:
            flush()
        elif stripped.startswith("//"):
            continue
        elif stripped.startswith(_CATEGORY):
            flush()
            category = stripped[len(_CATEGORY) :].strip() or None
        else:
            block.append((number, line))
    flush()
    if problems:
        raise GiftError(problems)
    return questions


# --------------------------------------------------------------------------- writing


def _escape(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\\", "\\\\")
    for ch in "~=#{}:":
        text = text.replace(ch, "\\" + ch)
    return text.replace("->", "-\\>").replace("\n", "\\n")


def _format_number(value: float) -> str:
    value = float(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _format_weight(fraction: float) -> str:
    """The percentage whose decimal value / 100 reads back as exactly this fraction."""
    percent = Decimal(repr(float(fraction))).scaleb(2)
    if percent == percent.to_integral_value():
        return f"%{int(percent)}%"
    return f"%{format(percent.normalize(), 'f')}%"


def _with_feedback(text: str, feedback: str) -> str:
    return f"{text} #{_escape(feedback)}" if feedback else text


def _choice_line(choice: Choice, right: bool) -> str:
    needs_weight = choice.text.startswith("%")
    if right:
        mark = "=" + (_format_weight(choice.fraction) if needs_weight else "")
    elif choice.fraction != 0 or needs_weight:
        mark = "~" + _format_weight(choice.fraction)
    else:
        mark = "~"
    return _with_feedback(mark + _escape(choice.text), choice.feedback)


def _short_line(choice: Choice) -> str:
    weight = _format_weight(choice.fraction) if choice.fraction != 1.0 or choice.text.startswith("%") else ""
    return _with_feedback("=" + weight + _escape(choice.text), choice.feedback)


def _numeric_spec(answer: NumericAnswer) -> str:
    if answer.value is None:
        return f"{_format_number(answer.minimum)}..{_format_number(answer.maximum)}"
    if answer.tolerance is None:
        return _format_number(answer.value)
    return f"{_format_number(answer.value)}:{_format_number(answer.tolerance)}"


def _answer_lines(q: Question) -> list[str] | str:
    """Answer block content: a list of lines (written one per line) or one inline string."""
    if q.kind == "essay":
        return ""
    if q.kind == "truefalse":
        if q.truth is None:
            raise ValueError(f"true/false question {q.title or q.text!r} has no truth value")
        right, wrong = (q.true_feedback, q.false_feedback) if q.truth else (q.false_feedback, q.true_feedback)
        out = "TRUE" if q.truth else "FALSE"
        if wrong or right:
            out += "#" + _escape(wrong)
        if right:
            out += "#" + _escape(right)
        return out
    if q.kind in ("single", "multiple"):
        single = q.kind == "single"
        return [_choice_line(c, single and c.fraction == 1.0) for c in q.choices]
    if q.kind == "short":
        return [_short_line(c) for c in q.choices]
    if q.kind == "matching":
        return [f"={_escape(p.prompt)} -> {_escape(p.match)}" for p in q.pairs]
    if q.kind == "numerical":
        if len(q.numeric) == 1 and q.numeric[0].fraction == 1.0:
            return "#" + _with_feedback(_numeric_spec(q.numeric[0]), q.numeric[0].feedback)
        lines = []
        for answer in q.numeric:
            weight = "" if answer.fraction == 1.0 else _format_weight(answer.fraction)
            lines.append(_with_feedback(f"={weight}{_numeric_spec(answer)}", answer.feedback))
        return ["#"] + lines
    raise ValueError(f"unknown question kind {q.kind!r}")


def _write_question(q: Question) -> str:
    head = f"::{_escape(q.title)}:: " if q.title else ""
    # An explicit format keeps a leading '[' from being read as one, '//' from being a comment
    # and a leading U+FEFF from being taken for a byte-order mark.
    starts_line = not q.title and q.text.startswith(("//", "\ufeff"))
    if q.text_format != "moodle" or q.text.startswith("[") or starts_line:
        head += f"[{q.text_format}]"
    head += _escape(q.text)
    if q.kind == "description":
        if q.general_feedback or q.text_after is not None:
            raise ValueError("a description has no answer block to hold general feedback or a blank")
        return head
    answers = _answer_lines(q)
    general = f"####{_escape(q.general_feedback)}" if q.general_feedback else ""
    if isinstance(answers, str):
        block = "{" + answers + general + "}"
    else:
        opener = "{#\n" if answers[:1] == ["#"] else "{\n"  # several numerical answers: '{#' then one a line
        lines = answers[1:] if answers[:1] == ["#"] else answers
        block = opener + "\n".join(lines + ([general] if general else [])) + "\n}"
    out = f"{head} {block}" if head else block
    if q.text_after is not None:
        out += " " + _escape(q.text_after)
    return out


def write_gift(questions: Iterable[Question]) -> str:
    """Write questions as GIFT text that parse_gift reads back to equal questions."""
    out: list[str] = []
    category: str | None = None
    for q in questions:
        if q.category != category:
            if q.category is not None and ("\n" in q.category or "\r" in q.category):
                raise ValueError(f"category {q.category!r} spans several lines")
            out.append(f"{_CATEGORY} {q.category}" if q.category is not None else _CATEGORY)
            category = q.category
        out.append(_write_question(q))
    return "\n\n".join(out) + "\n" if out else ""


# --------------------------------------------------------------------------- checking


def _duplicates(values: Iterable[str]) -> list[str]:
    seen, dupes = set(), []
    for value in values:
        if value in seen and value not in dupes:
            dupes.append(value)
        seen.add(value)
    return dupes


def _fraction_problems(fractions: Iterable[float]) -> list[str]:
    return [f"weight {f * 100:g}% is outside -100%..100%" for f in fractions if not -1.0 <= f <= 1.0]


def check_question(q: Question) -> list[str]:
    """List what is wrong with a question's answer key (an empty list means it is usable)."""
    issues: list[str] = []
    if q.kind not in KINDS:
        return [f"unknown question kind {q.kind!r}"]
    if q.text_format not in TEXT_FORMATS:
        issues.append(f"unknown text format {q.text_format!r}")
    if not q.text.strip() and not (q.text_after or "").strip():
        issues.append("question has no text")
    if q.kind in ("single", "multiple"):
        fractions = [c.fraction for c in q.choices]
        if len(q.choices) < 2:
            issues.append("a multiple-choice question needs at least 2 answers")
        issues += _fraction_problems(fractions)
        if q.kind == "single":
            if not any(abs(f - 1.0) < FRACTION_EPSILON for f in fractions):
                issues.append("no answer gives full marks")
            elif sum(1 for f in fractions if f > 0) > 1:
                issues.append("a single-answer question has more than one answer with positive weight")
        else:
            positive = sum(f for f in fractions if f > 0)
            if abs(positive - 1.0) > 0.0001:
                issues.append(f"the positive weights add up to {positive * 100:g}%, not 100%")
        issues += [f"duplicate answer {d!r}" for d in _duplicates(c.text.strip() for c in q.choices)]
    elif q.kind == "short":
        if not q.choices:
            issues.append("a short-answer question needs at least one answer")
        elif not any(abs(c.fraction - 1.0) < FRACTION_EPSILON for c in q.choices):
            issues.append("no answer gives full marks")
        issues += _fraction_problems(c.fraction for c in q.choices)
        # Learners' answers are compared folded, so answers equal once folded are duplicates.
        issues += [f"duplicate answer {d!r}" for d in _duplicates(fold(c.text) for c in q.choices)]
    elif q.kind == "numerical":
        if not q.numeric:
            issues.append("a numerical question needs at least one answer")
        elif not any(abs(a.fraction - 1.0) < FRACTION_EPSILON for a in q.numeric):
            issues.append("no answer gives full marks")
        issues += _fraction_problems(a.fraction for a in q.numeric)
        for a in q.numeric:
            if not (math.isfinite(a.minimum) and math.isfinite(a.maximum)):
                issues.append("a numerical answer is not a finite number")
            elif a.minimum > a.maximum:
                issues.append(f"numerical range {a.minimum:g}..{a.maximum:g} is empty (minimum > maximum)")
        issues += [f"duplicate numerical answer {d}" for d in _duplicates(_numeric_spec(a) for a in q.numeric)]
    elif q.kind == "matching":
        if len(q.pairs) < 2:
            issues.append("a matching question needs at least 2 pairs (3 recommended)")
        issues += [f"duplicate matching prompt {d!r}" for d in _duplicates(p.prompt for p in q.pairs)]
    elif q.kind == "truefalse" and q.truth is None:
        issues.append("a true/false question has no truth value")
    return issues
