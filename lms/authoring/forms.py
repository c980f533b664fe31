"""Authoring forms; every message is translated, so field errors show in the user's language."""
from __future__ import annotations

import re
from dataclasses import fields

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, FloatField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError
from wtforms.widgets import HiddenInput

from lms.accounts.forms import MESSAGES, REQUIRED
from lms.authoring.services import DOWN, LANGS, UP, CourseSettings, LessonDraft
from lms.content.render import video_embed

SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
TRACK_LABELS = {
    "livestream": _l("Livestream selling"),
    "packaging": _l("Packaging and labelling"),
    "compliance": _l("Platform compliance"),
    "operations": _l("Business operations"),
}
TOO_LONG = MESSAGES["too_long"]


def _slug_field():
    return StringField(_l("Short name for the address (slug)"), validators=[
        DataRequired(REQUIRED), Length(max=80, message=TOO_LONG),
        Regexp(SLUG, message=_l("Use lowercase letters a–z, digits and hyphens, for example livestream-selling.")),
    ])


def _number(label, low: float, high: float, default: float, kind=IntegerField):
    message = _l("Enter a number from %(low)s to %(high)s.", low=low, high=high)
    return kind(label, validators=[InputRequired(message), NumberRange(low, high, message=message)], default=default,
                render_kw={"step": "any"} if kind is FloatField else None)


def _revision_field():
    # the revision the page was loaded at: a save based on an older one is refused
    return IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class _TitlesForm(FlaskForm):
    title_vi = StringField(_l("Title in Vietnamese"), validators=[DataRequired(REQUIRED), Length(max=200, message=TOO_LONG)])
    title_en = StringField(_l("Title in English"), validators=[Length(max=200, message=TOO_LONG)])


class _CourseFields(_TitlesForm):
    track = SelectField(_l("Track"), choices=list(TRACK_LABELS.items()), validators=[DataRequired(REQUIRED)])
    summary_vi = TextAreaField(_l("Summary in Vietnamese"), validators=[Length(max=2000, message=TOO_LONG)], render_kw={"rows": 3})
    summary_en = TextAreaField(_l("Summary in English"), validators=[Length(max=2000, message=TOO_LONG)], render_kw={"rows": 3})
    estimated_hours = _number(_l("Estimated hours"), 0.1, 200, 1.0, FloatField)
    pass_mark = _number(_l("Pass mark (%)"), 1, 100, 80)
    questions_per_attempt = _number(_l("Questions per attempt"), 1, 200, 20)
    max_attempts = _number(_l("Attempts before a pause"), 1, 20, 3)
    cooldown_hours = _number(_l("Pause after the last attempt (hours)"), 0, 720, 24)
    time_limit_minutes = _number(_l("Time limit in minutes (0 = none)"), 0, 600, 0)
    certificate_validity_months = _number(_l("Certificate valid for (months)"), 1, 120, 24)
    required_for_onboarding = BooleanField(_l("Required for seller onboarding"))

    def settings(self) -> CourseSettings:
        return CourseSettings(**{f.name: self[f.name].data for f in fields(CourseSettings)})


class NewCourseForm(_CourseFields):
    slug = _slug_field()


class CourseSettingsForm(_CourseFields):
    revision = _revision_field()


class NewModuleForm(_TitlesForm):
    slug = _slug_field()


class ModuleForm(_TitlesForm):
    """Renaming a module; its slug stays, so lesson addresses and question categories keep working."""


class NewLessonForm(_TitlesForm):
    module_id = SelectField(_l("Module"), coerce=int, validate_choice=True)
    slug = _slug_field()


class LessonForm(_TitlesForm):
    minutes = _number(_l("Reading time (minutes)"), 1, 240, 5)
    as_of = DateField(_l("Rules as of (date)"), validators=[Optional()])
    video_url = StringField(_l("Video address (YouTube, TikTok or Facebook)"), validators=[Optional(), Length(max=500, message=TOO_LONG)])
    body_vi = TextAreaField(_l("Text in Vietnamese (Markdown)"), validators=[Length(max=100_000, message=TOO_LONG)], render_kw={"rows": 20})
    body_en = TextAreaField(_l("Text in English (Markdown)"), validators=[Length(max=100_000, message=TOO_LONG)], render_kw={"rows": 20})
    revision = _revision_field()
    preview = SubmitField(_l("Preview"))
    save = SubmitField(_l("Save"))

    def validate_video_url(self, field):
        if field.data and video_embed(field.data) is None:
            raise ValidationError(_l("Use an https address of a YouTube, TikTok or Facebook video."))

    def draft(self) -> LessonDraft:
        return LessonDraft(
            titles={lang: self[f"title_{lang}"].data or "" for lang in LANGS},
            bodies={lang: self[f"body_{lang}"].data or "" for lang in LANGS},
            minutes=self.minutes.data, as_of=self.as_of.data, video_url=self.video_url.data,
        )

    def add_problems(self, problems: dict[str, list[str]]) -> None:
        """Show the renderer's broken images and links under the body they came from."""
        for lang, messages in problems.items():
            self[f"body_{lang}"].errors = [*self[f"body_{lang}"].errors, *(problem_message(m) for m in messages)]


def problem_message(problem: str) -> str:
    """The renderer's English problem, in the user's language."""
    quoted = re.search(r"'([^']*)'", problem)
    target = quoted.group(1) if quoted else ""
    if problem.startswith("image"):
        return str(_l("The image “%(name)s” is not one of this course's images: upload it on the course page and paste its snippet.", name=target))
    return str(_l("The link “%(href)s” does not lead to a lesson of this course, an uploaded image or a web address (https://…).", href=target))


IMAGE_ERRORS = {
    "svg": _l("SVG images are not accepted because they can contain scripts. Upload a PNG, JPEG, WebP or GIF image."),
    "not_image": _l("This file is not a PNG, JPEG, WebP or GIF image, or it is damaged."),
    "too_many_pixels": _l("This image has too many pixels. Make it smaller and try again."),
}


def image_error(reason: str, max_bytes: int) -> str:
    if reason == "too_large":
        return str(_l("The image is larger than %(size)s MB. Make it smaller and try again.", size=round(max_bytes / 1024 / 1024, 1)))
    return str(IMAGE_ERRORS.get(reason, IMAGE_ERRORS["not_image"]))


SLUG_TAKEN = _l("This short name is already used. Choose another one.")


class MoveForm(FlaskForm):
    direction = StringField(validators=[AnyOf((UP, DOWN))])


class ConfirmForm(FlaskForm):
    """The button of a confirmation page (deleting a lesson or a module)."""


class LessonModuleForm(FlaskForm):
    module_id = SelectField(_l("Move to the module"), coerce=int, validate_choice=True)


class ImageForm(FlaskForm):
    image = FileField(_l("Image (PNG, JPEG, WebP or GIF)"), validators=[FileRequired(_l("Choose an image file."))])


class PublishForm(FlaskForm):
    change_note = TextAreaField(_l("What changed (learners see this note)"), validators=[Length(max=2000, message=TOO_LONG)], render_kw={"rows": 3})
    requires_recertification = BooleanField(_l("Requires recertification: every learner moves to this version and must pass again"))

    def __init__(self, *args, needs_note: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.needs_note = needs_note

    def validate_change_note(self, field):
        if self.needs_note and not (field.data or "").strip():
            raise ValidationError(REQUIRED)


class TrainerForm(FlaskForm):
    trainer_id = SelectField(_l("Trainer"), coerce=int, validate_choice=True)
