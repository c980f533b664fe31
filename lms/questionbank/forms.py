"""Question forms (one per kind, Vietnamese and English in one form), GIFT upload forms, and issue wording."""
from __future__ import annotations

import re
from decimal import Decimal
from itertools import zip_longest

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import FieldList, Form, FormField, HiddenField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from lms.accounts.forms import REQUIRED
from lms.assessment.bank import from_data
from lms.assessment.models import Question as StoredQuestion
from lms.assessment.scoring import parse_number
from lms.content.gift import TEXT_FORMATS, Choice, MatchPair, NumericAnswer, Question
from lms.questionbank.services import LANGS, MAX_GIFT_CHARS, MAX_TITLE, TITLE_PATTERN, GiftFile, Issue, read_gift_upload
from lms.text import nfc

ROWS = 6  # answer rows on a new form; an edited question shows its answers plus two empty rows
NOT_A_NUMBER = _l("Type a number, for example 12,5 or 12.5.")
TITLE_FORMAT = _l("Use lower-case letters, digits and hyphens, for example honey-storage-1.")
LANGUAGE_NAMES = {"vi": _l("Vietnamese"), "en": _l("English")}


def _text(field) -> str:
    return nfc((field.data or "").strip()) if isinstance(field.data, str) else ""


def _fail(field, message) -> None:
    field.errors = [*field.errors, message]


def _number(field) -> float | None:
    """The number typed in a field (decimal comma or point); None when empty or wrong (then the field has an error)."""
    typed = _text(field)
    if not typed:
        return None
    value = parse_number(typed)
    if value is None:
        _fail(field, NOT_A_NUMBER)
    return value


def _fraction(field, default: float) -> float:
    """A weight typed in percent as the stored fraction, divided in decimal so that 33.3% stays 0.333."""
    typed = _text(field)
    if not typed:
        return default
    value = _number(field)
    return float(Decimal(repr(value)).scaleb(-2)) if value is not None else default


def _percent(fraction: float) -> str:
    return format(Decimal(repr(float(fraction))).scaleb(2).normalize(), "f")


def _plain(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else repr(value)


def _rows(items: list[dict]) -> list[dict]:
    """The answer rows of an edited question, with room for two more."""
    return items + [{}] * max(ROWS - len(items), 2)


class ChoiceRow(Form):
    weight = StringField(_l("Weight (%)"), default="0")
    text_vi = StringField(_l("Answer (Vietnamese)"))
    feedback_vi = StringField(_l("Feedback (Vietnamese)"))
    text_en = StringField(_l("Answer (English)"))
    feedback_en = StringField(_l("Feedback (English)"))


class ShortRow(Form):
    text = StringField(_l("Accepted answer"))
    weight = StringField(_l("Weight (%)"), default="100")
    feedback = StringField(_l("Feedback"))


class NumericRow(Form):
    value = StringField(_l("Value"))
    tolerance = StringField(_l("Tolerance (±)"))
    minimum = StringField(_l("Or a range from"))
    maximum = StringField(_l("to"))
    weight = StringField(_l("Weight (%)"), default="100")
    feedback_vi = StringField(_l("Feedback (Vietnamese)"))
    feedback_en = StringField(_l("Feedback (English)"))


class PairRow(Form):
    prompt_vi = StringField(_l("Item (Vietnamese)"))
    match_vi = StringField(_l("Its match (Vietnamese)"))
    prompt_en = StringField(_l("Item (English)"))
    match_en = StringField(_l("Its match (English)"))


class QuestionForm(FlaskForm):
    """What every kind shares; a subclass adds its answers. `build` makes the GIFT questions to save."""

    kind = ""
    hint = ""  # how to fill in the answers
    answer_fields: tuple[str, ...] = ()  # fields shown above the answer rows
    row_lists: tuple[str, ...] = ()  # the FieldLists of answer rows
    row_label = _l("Answer")
    title = StringField(_l("Title (stable key)"), filters=[lambda v: v.strip().lower() if isinstance(v, str) else v],
                        validators=[DataRequired(REQUIRED), Length(max=MAX_TITLE), Regexp(TITLE_PATTERN, message=TITLE_FORMAT)])
    module = SelectField(_l("Module"), coerce=int)
    text_format = SelectField(_l("Text format"), choices=[(f, f) for f in TEXT_FORMATS], default="moodle")
    revision = HiddenField()
    text_vi = TextAreaField(_l("Question (Vietnamese)"), validators=[DataRequired(REQUIRED)])
    text_en = TextAreaField(_l("Question (English)"))
    text_after_vi = TextAreaField(_l("Text after the answer (Vietnamese)"))
    text_after_en = TextAreaField(_l("Text after the answer (English)"))
    general_feedback_vi = TextAreaField(_l("General feedback (Vietnamese)"))
    general_feedback_en = TextAreaField(_l("General feedback (English)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.problems: list[str] = []

    @classmethod
    def initial_answers(cls, vi: Question, en: Question | None) -> dict:
        raise NotImplementedError

    def answer_parts(self) -> dict[str, dict]:
        """Per language, the Question fields of the answers; errors go on the fields."""
        raise NotImplementedError

    def shows_text_after(self) -> bool:
        return bool(self.text_after_vi.data or self.text_after_en.data)

    def has_english(self) -> bool:
        """Anything typed in an English field (weights and numbers are shared by both languages)."""
        return any(_text(leaf) for leaf in _leaves(self) if re.search(r"_en($|-)", leaf.name) and not leaf.name.endswith("-weight"))

    def build(self) -> tuple[Question, Question | None] | None:
        """The question in Vietnamese and, if any English was typed, in English; None when a field is wrong."""
        parts = self.answer_parts()
        questions = {
            lang: Question(title="", kind=parts[lang].pop("kind", self.kind), text=_text(self[f"text_{lang}"]),
                           text_format=self.text_format.data, text_after=_text(self[f"text_after_{lang}"]) or None,
                           general_feedback=_text(self[f"general_feedback_{lang}"]), **parts[lang])
            for lang in LANGS
        }
        if self.has_errors():
            return None
        return questions["vi"], questions["en"] if self.has_english() else None

    def has_errors(self) -> bool:
        # FieldList keeps the errors it saw when validated: ask every field, as build() adds errors after that
        return any(leaf.errors for leaf in _leaves(self))

    def add_issues(self, issues: list[Issue]) -> None:
        for issue in issues:
            if issue.code in ("title_format", "title_taken") and "title" in self:
                _fail(self.title, issue_message(issue))
            elif issue.code == "unknown_module":
                _fail(self.module, issue_message(issue))
            else:
                self.problems.append(issue_message(issue))


def _leaves(form):
    for item in form:
        if isinstance(item, FieldList):
            for entry in item:
                yield from _leaves(entry.form)
        elif isinstance(item, FormField):
            yield from _leaves(item.form)
        else:
            yield item


def _aligned(vi: tuple[Choice, ...], en: tuple[Choice, ...]) -> list[Choice | None]:
    """The English choice for each Vietnamese one: one of the same weight (the order may differ between files)."""
    pool, out = list(en), []
    for choice in vi:
        match = next((c for c in pool if c.fraction == choice.fraction), None)
        if match is not None:
            pool.remove(match)
        out.append(match)
    return [c if c is not None else (pool.pop(0) if pool else None) for c in out] + pool


class ChoiceForm(QuestionForm):
    hint = _l("Give the right answer 100 and the others 0 (or a negative weight). Empty rows are ignored.")
    row_lists = ("choices",)
    choices = FieldList(FormField(ChoiceRow), min_entries=ROWS)

    @classmethod
    def initial_answers(cls, vi, en):
        rows = []
        for choice, other in zip_longest(vi.choices, _aligned(vi.choices, en.choices if en else ())):
            rows.append({"weight": _percent((choice or other).fraction), "text_vi": choice.text if choice else "",
                         "feedback_vi": choice.feedback if choice else "", "text_en": other.text if other else "",
                         "feedback_en": other.feedback if other else ""})
        return {"choices": _rows(rows)}

    def answer_parts(self):
        rows = [row for row in self.choices if _text(row.text_vi) or _text(row.text_en)]
        weights = [_fraction(row.weight, 0.0) for row in rows]
        return {
            lang: {"choices": tuple(Choice(_text(row[f"text_{lang}"]), weight, _text(row[f"feedback_{lang}"]))
                                    for row, weight in zip(rows, weights) if _text(row[f"text_{lang}"]))}
            for lang in LANGS
        }


class SingleChoiceForm(ChoiceForm):
    kind = "single"


class MultipleChoiceForm(ChoiceForm):
    kind = "multiple"
    hint = _l("Weights are in percent: the right answers share 100, wrong answers get 0 or a negative weight "
              "(for example -50) so that ticking everything does not pay. Empty rows are ignored.")


class MissingWordForm(ChoiceForm):
    kind = "single"
    hint = MultipleChoiceForm.hint
    answer_fields = ("choice_kind",)
    text_vi = TextAreaField(_l("Text before the blank (Vietnamese)"))
    text_en = TextAreaField(_l("Text before the blank (English)"))
    text_after_vi = TextAreaField(_l("Text after the blank (Vietnamese)"), validators=[DataRequired(REQUIRED)])
    text_after_en = TextAreaField(_l("Text after the blank (English)"))
    choice_kind = RadioField(_l("Learners choose"), choices=[("single", _l("one answer")), ("multiple", _l("one or more answers"))], default="single")

    @classmethod
    def initial_answers(cls, vi, en):
        return {**super().initial_answers(vi, en), "choice_kind": vi.kind}

    def shows_text_after(self) -> bool:
        return True

    def answer_parts(self):
        parts = super().answer_parts()
        for lang in LANGS:
            parts[lang]["kind"] = self.choice_kind.data
        return parts


class TrueFalseForm(QuestionForm):
    kind = "truefalse"
    answer_fields = ("truth", "true_feedback_vi", "false_feedback_vi", "true_feedback_en", "false_feedback_en")
    truth = RadioField(_l("The statement is"), choices=[("true", _l("True")), ("false", _l("False"))], validators=[InputRequired(REQUIRED)])
    true_feedback_vi = TextAreaField(_l("Feedback for the answer True (Vietnamese)"))
    false_feedback_vi = TextAreaField(_l("Feedback for the answer False (Vietnamese)"))
    true_feedback_en = TextAreaField(_l("Feedback for the answer True (English)"))
    false_feedback_en = TextAreaField(_l("Feedback for the answer False (English)"))

    @classmethod
    def initial_answers(cls, vi, en):
        data = {"truth": "true" if vi.truth else "false"}
        for lang, question in (("vi", vi), ("en", en)):
            if question is not None:
                data[f"true_feedback_{lang}"], data[f"false_feedback_{lang}"] = question.true_feedback, question.false_feedback
        return data

    def answer_parts(self):
        return {lang: {"truth": self.truth.data == "true", "true_feedback": _text(self[f"true_feedback_{lang}"]),
                       "false_feedback": _text(self[f"false_feedback_{lang}"])} for lang in LANGS}


class ShortAnswerForm(QuestionForm):
    """Accepted answers are per language: a translation may accept other spellings."""

    kind = "short"
    hint = _l("Learners' answers are compared without case, accents or extra spaces. Each language has its own list; "
              "a partly right answer can get a lower weight. Empty rows are ignored.")
    row_lists = ("answers_vi", "answers_en")
    answers_vi = FieldList(FormField(ShortRow), min_entries=ROWS)
    answers_en = FieldList(FormField(ShortRow), min_entries=ROWS)

    @classmethod
    def initial_answers(cls, vi, en):
        def rows(question):
            return _rows([{"text": c.text, "weight": _percent(c.fraction), "feedback": c.feedback} for c in (question.choices if question else ())])
        return {"answers_vi": rows(vi), "answers_en": rows(en)}

    def answer_parts(self):
        return {lang: {"choices": tuple(Choice(_text(row.text), _fraction(row.weight, 1.0), _text(row.feedback))
                                        for row in self[f"answers_{lang}"] if _text(row.text))} for lang in LANGS}


class NumericalForm(QuestionForm):
    kind = "numerical"
    hint = _l("Give a value with an optional tolerance (24 ± 2 accepts 22 to 26), or a range. Another answer with "
              "a lower weight can give part of the marks. Empty rows are ignored.")
    row_lists = ("numeric",)
    numeric = FieldList(FormField(NumericRow), min_entries=ROWS)

    @classmethod
    def initial_answers(cls, vi, en):
        rows = []
        for answer, other in zip_longest(vi.numeric, en.numeric if en else ()):
            if answer is None:
                continue
            ranged = answer.value is None
            rows.append({"value": "" if ranged else _plain(answer.value), "tolerance": _plain(answer.tolerance),
                         "minimum": _plain(answer.minimum) if ranged else "", "maximum": _plain(answer.maximum) if ranged else "",
                         "weight": _percent(answer.fraction), "feedback_vi": answer.feedback, "feedback_en": other.feedback if other else ""})
        return {"numeric": _rows(rows)}

    def _answer(self, row) -> tuple | None:
        """(factory, arguments) of one row's accepted interval, or None for an empty row."""
        names = ("value", "tolerance", "minimum", "maximum")
        typed = [_text(row[name]) for name in names]
        if not any(typed):
            return None
        value, tolerance, low, high = (_number(row[name]) for name in names)
        fraction = _fraction(row.weight, 1.0)
        if any(row[name].errors for name in (*names, "weight")):
            return None
        if typed[0] and (typed[2] or typed[3]):
            _fail(row.minimum, _("Give a value or a range, not both."))
        elif typed[0]:
            return (NumericAnswer.within, value, tolerance, fraction) if typed[1] else (NumericAnswer.exact, value, fraction)
        elif typed[1]:
            _fail(row.tolerance, _("A tolerance needs a value."))
        elif not (typed[2] and typed[3]):
            _fail(row.maximum if typed[2] else row.minimum, _("Give both ends of the range."))
        else:
            return (NumericAnswer.between, low, high, fraction)
        return None

    def answer_parts(self):
        parts = {lang: [] for lang in LANGS}
        for row in self.numeric:
            answer = self._answer(row)
            if answer is not None:
                factory, *arguments = answer
                for lang in LANGS:
                    parts[lang].append(factory(*arguments, feedback=_text(row[f"feedback_{lang}"])))
        return {lang: {"numeric": tuple(answers)} for lang, answers in parts.items()}


class MatchingForm(QuestionForm):
    kind = "matching"
    hint = _l("At least 2 pairs; 3 or more is better. Learners match each item with one of the matches, shown in "
              "a random order. Empty rows are ignored.")
    row_lists = ("pairs",)
    row_label = _l("Pair")
    pairs = FieldList(FormField(PairRow), min_entries=ROWS)

    @classmethod
    def initial_answers(cls, vi, en):
        rows = [{"prompt_vi": p.prompt if p else "", "match_vi": p.match if p else "", "prompt_en": o.prompt if o else "", "match_en": o.match if o else ""}
                for p, o in zip_longest(vi.pairs, en.pairs if en else ())]
        return {"pairs": _rows(rows)}

    def answer_parts(self):
        parts = {lang: [] for lang in LANGS}
        for row in self.pairs:
            for lang in LANGS:
                prompt, match = _text(row[f"prompt_{lang}"]), _text(row[f"match_{lang}"])
                if prompt and match:
                    parts[lang].append(MatchPair(prompt, match))
                elif prompt or match:
                    _fail(row[f"match_{lang}"] if prompt else row[f"prompt_{lang}"], _("Fill in both sides of the pair."))
        return {lang: {"pairs": tuple(pairs)} for lang, pairs in parts.items()}


FORMS: dict[str, type[QuestionForm]] = {
    "single": SingleChoiceForm,
    "multiple": MultipleChoiceForm,
    "truefalse": TrueFalseForm,
    "short": ShortAnswerForm,
    "numerical": NumericalForm,
    "matching": MatchingForm,
    "missing": MissingWordForm,
}


def initial_data(form_class: type[QuestionForm], question: StoredQuestion | None, module_id: int | None) -> dict:
    """What a form shows before it is sent: a stored question, or a new one (the first choice worth 100%)."""
    if question is None:
        first = [{"weight": "100"}] + [{}] * (ROWS - 1)
        return {"module": module_id, "choices": first} if issubclass(form_class, ChoiceForm) and form_class.kind == "single" else {"module": module_id}
    vi = from_data(question.data_vi)
    en = from_data(question.data_en) if question.data_en else None
    data = {"module": question.module_id, "text_format": vi.text_format, "revision": str(question.revision)}
    for lang, version in (("vi", vi), ("en", en)):
        if version is not None:
            data.update({f"text_{lang}": version.text, f"text_after_{lang}": version.text_after or "",
                         f"general_feedback_{lang}": version.general_feedback})
    return {**data, **form_class.initial_answers(vi, en)}


def question_form(form_type: str, modules: list, lang: str, question: StoredQuestion | None = None) -> QuestionForm:
    """The form of one kind, filled from the request when sent, else from the stored question (or blank)."""
    form_class = FORMS[form_type]
    form = form_class(data=initial_data(form_class, question, modules[0].id if modules else None))
    if question is not None:
        del form.title  # the title is the question's stable key: it never changes
    form.module.choices = [(m.id, f"{m.title(lang)} ({m.slug})") for m in modules]
    return form


def submitted_revision(form: QuestionForm) -> int:
    return int(form.revision.data) if (form.revision.data or "").isdigit() else 0


# --------------------------------------------------------------------------- GIFT upload


class UploadForm(FlaskForm):
    vi_file = FileField(_l("Vietnamese file (.gift or .txt, UTF-8)"))
    en_file = FileField(_l("English file (.gift or .txt, UTF-8)"))

    def uploads(self) -> tuple[list[GiftFile], list[Issue]]:
        files, issues = [], []
        for lang in LANGS:
            storage = self[f"{lang}_file"].data
            if storage and getattr(storage, "filename", ""):
                upload, problems = read_gift_upload(lang, storage.filename, storage.read())
                files += [upload] if upload else []
                issues += problems
        return files, issues


class ApplyForm(FlaskForm):
    """The uploaded text travels back in hidden fields; applying reads and checks it again."""

    vi_name = HiddenField()
    en_name = HiddenField()
    vi_text = TextAreaField(validators=[Optional(), Length(max=MAX_GIFT_CHARS + 100_000)])
    en_text = TextAreaField(validators=[Optional(), Length(max=MAX_GIFT_CHARS + 100_000)])
    digest = HiddenField()
    retire = SelectMultipleField(_l("Retire"), choices=[], validate_choice=False)

    @classmethod
    def carrying(cls, uploads: list[GiftFile], digest: str) -> ApplyForm:
        data = {"digest": digest}
        for upload in uploads:
            data[f"{upload.lang}_name"], data[f"{upload.lang}_text"] = upload.name, upload.text
        return cls(formdata=None, data=data)

    def uploads(self) -> tuple[list[GiftFile], list[Issue]]:
        files, issues = [], []
        for lang in LANGS:
            if self[f"{lang}_name"].data:
                upload, problems = read_gift_upload(lang, self[f"{lang}_name"].data, self[f"{lang}_text"].data or "")
                files += [upload] if upload else []
                issues += problems
        return files, issues


# --------------------------------------------------------------------------- wording issues

ISSUES = {
    "title_format": TITLE_FORMAT,
    "title_taken": _l("Another question of this course already has the title '%(detail)s'."),
    "title_too_long": _l("The title '%(detail)s…' is longer than 120 characters."),
    "unknown_module": _l("Choose a module of this course."),
    "kind": _l("Questions of this kind cannot be saved from a form."),
    "shape_mismatch": _l("The English version does not have the same answers as the Vietnamese one (the same kind, weights, number of pairs, true or false)."),
    "shape_mismatch_title": _l("Question '%(detail)s' does not have the same answers (kind, weights, pairs) as in Vietnamese."),
    "stored_shape_mismatch": _l("Question '%(detail)s' no longer has the same answers as its saved version in the other language: upload both files."),
    "category_mismatch": _l("Question '%(detail)s' is in another module than its Vietnamese version."),
    "no_english": _l("Question '%(detail)s' is missing from the English file."),
    "no_vietnamese": _l("Question '%(detail)s' has no Vietnamese version."),
    "no_title": _l("Every question needs a ::title:: (its stable key)."),
    "duplicate_title": _l("The title '%(detail)s' is used twice."),
    "unknown_category": _l("$CATEGORY '%(detail)s' is not a module of this course."),
    "file_type": _l("Upload a .gift or .txt file."),
    "not_utf8": _l("The file is not UTF-8 text. Save it as UTF-8 and upload it again."),
    "too_large": _l("The file is too long: the limit is %(detail)s characters."),
    "nothing": _l("Choose a Vietnamese file, an English file, or both."),
}

# check_question's English sentences, worded for trainers; an unknown one is shown as it is
ANSWER_KEY = (
    (re.compile(r"question has no text"), _l("The question has no text.")),
    (re.compile(r"a multiple-choice question needs at least 2 answers"), _l("Give at least 2 answers.")),
    (re.compile(r"weight (?P<weight>\S+)% is outside -100%\.\.100%"), _l("The weight %(weight)s%% is outside -100%%..100%%.")),
    (re.compile(r"no answer gives full marks"), _l("No answer gives full marks (100%%).")),
    (re.compile(r"a single-answer question has more than one answer with positive weight"),
     _l("A single-choice question has one right answer: give the other answers 0%% or a negative weight.")),
    (re.compile(r"the positive weights add up to (?P<total>\S+)%, not 100%"), _l("The positive weights add up to %(total)s%%; they must add up to 100%%.")),
    (re.compile(r"duplicate answer (?P<answer>.+)"), _l("The answer %(answer)s is given twice.")),
    (re.compile(r"a short-answer question needs at least one answer"), _l("Give at least one accepted answer.")),
    (re.compile(r"a numerical question needs at least one answer"), _l("Give at least one numerical answer.")),
    (re.compile(r"a numerical answer is not a finite number"), _l("A numerical answer is not a finite number.")),
    (re.compile(r"numerical range (?P<range>\S+) is empty"), _l("The range %(range)s is empty: its start is larger than its end.")),
    (re.compile(r"duplicate numerical answer (?P<answer>.+)"), _l("The numerical answer %(answer)s is given twice.")),
    (re.compile(r"a matching question needs at least 2 pairs"), _l("Give at least 2 pairs (3 or more is better).")),
    (re.compile(r"duplicate matching prompt (?P<prompt>.+)"), _l("The item %(prompt)s is given twice.")),
    (re.compile(r"a true/false question has no truth value"), _l("Choose whether the statement is true or false.")),
)


def answer_key_message(text: str) -> str:
    for pattern, message in ANSWER_KEY:
        match = pattern.fullmatch(text)
        if match:
            return str(message) % match.groupdict()
    return text


def issue_message(issue: Issue) -> str:
    """An issue in the reader's language, after 'file:line:' for an uploaded file or the language for a form."""
    if issue.code == "syntax":
        message = issue.detail  # the GIFT parser's own words, with the line they point at
    elif issue.code == "answer_key":
        message = answer_key_message(issue.detail)
    else:
        message = str(ISSUES.get(issue.code, issue.code)) % {"detail": issue.detail}
    if issue.file:
        return f"{issue.file}:{issue.line}: {message}"
    if issue.lang:
        return _("%(language)s: %(message)s", language=LANGUAGE_NAMES[issue.lang], message=message)
    return message
