"""Assessment pages: overview and history, taking an attempt, confirming submission, review, statistics."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.i18n import current_lang as _lang
from lms import clock
from lms.accounts.access import role_required
from lms.accounts.models import Role
from lms.assessment.bank import from_data
from lms.assessment.models import FINAL, IN_PROGRESS, RENEWAL, Attempt
from lms.assessment.responses import MAX_TEXT, Tampered, form_state, read_answers
from lms.assessment.review import correct_answers, describe_response, verdict
from lms.assessment.services import (
    AlreadyStarted,
    AttemptClosed,
    CannotStart,
    allowance,
    attempts_of,
    is_expired,
    item_shape,
    may_see_correct_answers,
    question_stats,
    questions_in,
    save_answers,
    start_attempt,
    submit_attempt,
)
from lms.catalog.forms import ActionForm
from lms.cohorts.access import can_edit_course
from lms.catalog.models import Course
from lms.catalog.progress import course_progress
from lms.catalog.services import get_published_course
from lms.content.render import render_question_text
from lms.credentials.context import issuing_context, prepare_pdf_quietly
from lms.credentials.services import issue_if_due, renew_if_passed, renewal_due
from lms.extensions import db
from lms.onboarding.events import eligibility_changed, state_before

bp = Blueprint("assessment", __name__)



def _truth_labels() -> dict[bool, str]:
    return {True: _("True"), False: _("False")}


def _field_messages() -> dict[str, str]:
    return {
        "not_a_number": _("Type a number, for example 12,5 or 12.5."),
        "too_long": _("Keep the answer under %(count)s characters.", count=MAX_TEXT),
    }


def _own_attempt(attempt_id: int) -> tuple[Attempt, Course]:
    """The signed-in learner's attempt; anyone else's is 'not found', never 'forbidden'."""
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.user_id != current_user.id:
        abort(404)
    return attempt, db.session.get(Course, attempt.course_id)


def _cannot_start_message(error: CannotStart) -> str:
    if error.reason == "cooldown":
        return _("You have used your attempts for now. You can try again from %(when)s.", when=_when(error.next_attempt_at))
    return {
        "not_enrolled": _("Enrol in the course to take its final assessment."),
        "passed": _("You have already passed this assessment."),
        "no_questions": _("This assessment has no questions yet. Please check back later."),
    }.get(error.reason, _("You cannot start an attempt now."))


def _when(moment) -> str:
    return format_datetime(moment, "short")


def _renewable(course: Course):
    return renewal_due(db.session, current_user.id, course, clock.now().date(), current_app.config["RECERTIFICATION_GRACE_DAYS"])


def _award(attempt: Attempt, course: Course):
    """After a passing submission: issue (or renew) the certificate in the same transaction, and tell listening platforms."""
    if not attempt.passed:
        return None
    context, now = issuing_context(), clock.now()
    before = state_before(db.session, attempt.user_id, now, context.recertification_grace_days)
    award = renew_if_passed if attempt.purpose == RENEWAL else issue_if_due
    certificate = award(db.session, attempt.user_id, course, context, now)
    eligibility_changed(db.session, attempt.user_id, before, now, context.recertification_grace_days)
    return certificate


def _announce(certificate) -> None:
    if certificate is not None:
        prepare_pdf_quietly(db.session, certificate)
        flash(_("Your certificate is ready: code %(code)s.", code=certificate.code), "success")


@bp.get("/courses/<slug>/assessment")
@login_required
def overview(slug: str):
    course = get_published_course(db.session, slug) or abort(404)
    now = clock.now()
    rules = allowance(db.session, current_user.id, course, now)
    renewable = _renewable(course)
    renewal = allowance(db.session, current_user.id, course, now, RENEWAL, renewable.issued_at) if renewable else None
    db.session.commit()  # expired attempts closed by the allowance check are kept scored
    attempts = attempts_of(db.session, current_user.id, course.id)
    progress = course_progress(db.session, current_user.id, course.id)
    return render_template("assessment/overview.html", course=course, rules=rules, attempts=list(reversed(attempts)), renewable=renewable,
                           renewal=renewal, renewal_questions=questions_in(course, RENEWAL), progress=progress, lang=_lang(), form=ActionForm(), now=now)


@bp.post("/courses/<slug>/assessment/start")
@login_required
def start(slug: str):
    course = get_published_course(db.session, slug) or abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    purpose, since = FINAL, None
    if request.form.get("purpose") == RENEWAL:
        renewable = _renewable(course)
        if renewable is None:
            flash(_("None of your certificates of this course can be renewed now."), "error")
            return redirect(url_for("assessment.overview", slug=slug))
        purpose, since = RENEWAL, renewable.issued_at
    try:
        try:
            attempt = start_attempt(db.session, current_user.id, course, _lang(), clock.now(), purpose=purpose, since=since)
        except AlreadyStarted:
            db.session.rollback()
            attempt = start_attempt(db.session, current_user.id, course, _lang(), clock.now(), purpose=purpose, since=since)
    except CannotStart as error:
        db.session.rollback()
        flash(_cannot_start_message(error), "error")
        return redirect(url_for("assessment.overview", slug=slug))
    db.session.commit()
    return redirect(url_for("assessment.take", attempt_id=attempt.id))


def _page_items(attempt: Attempt, typed: dict[int, str] | None = None, errors: dict[int, str] | None = None) -> list[dict]:
    messages = _field_messages()
    items = []
    for item in attempt.items:
        question = from_data(item.question_data)
        shape = item_shape(item)
        state = form_state(shape, item.response)
        if typed and item.position in typed:
            state = {"text": typed[item.position]}
        items.append({
            "position": item.position, "kind": question.kind, "missing_word": question.text_after is not None,
            "text": render_question_text(question.text, question.text_format),
            "text_after": render_question_text(question.text_after, question.text_format) if question.text_after else "",
            "choices": [render_question_text(question.choices[i].text, question.text_format) for i in item.choice_order],
            "prompts": [pair.prompt for pair in question.pairs], "options": list(item.match_options),
            "state": state, "error": messages.get((errors or {}).get(item.position, "")),
        })
    return items


def _render_attempt(attempt: Attempt, course: Course, typed=None, errors=None, status=200):
    now = clock.now()
    seconds_left = max(0, int((attempt.deadline_at - now).total_seconds())) if attempt.deadline_at else None
    answered = sum(1 for item in attempt.items if item.response is not None)
    return render_template("assessment/attempt.html", attempt=attempt, course=course, items=_page_items(attempt, typed, errors),
                           errors=errors or {}, seconds_left=seconds_left, answered=answered, lang=_lang(), form=ActionForm()), status


@bp.get("/assessment/attempts/<int:attempt_id>")
@login_required
def take(attempt_id: int):
    attempt, course = _own_attempt(attempt_id)
    if is_expired(attempt, clock.now()) and submit_attempt(db.session, attempt, clock.now(), by="time_limit"):
        certificate = _award(attempt, course)
        db.session.commit()
        flash(_("Time is up. Your attempt was submitted with the answers you had saved."), "warning")
        _announce(certificate)
    if attempt.status != IN_PROGRESS:
        return redirect(url_for("assessment.review", attempt_id=attempt.id))
    return _render_attempt(attempt, course)


@bp.post("/assessment/attempts/<int:attempt_id>")
@login_required
def save(attempt_id: int):
    """Save the answers on the page; 'finish' then asks for confirmation before the final submission."""
    attempt, course = _own_attempt(attempt_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        answers = read_answers([item_shape(item) for item in attempt.items], request.form)
    except Tampered:
        abort(400)
    if answers.errors and attempt.status == IN_PROGRESS and not is_expired(attempt, clock.now()):
        return _render_attempt(attempt, course, answers.typed, answers.errors, status=422)
    try:
        save_answers(db.session, attempt, {p: r for p, r in answers.responses.items() if p not in answers.errors}, clock.now())
    except AttemptClosed as closed:
        certificate = _award(attempt, course)
        db.session.commit()
        _announce(certificate)
        if str(closed) == "time_limit":
            flash(_("Time is up. Your attempt was submitted with the answers you had saved."), "warning")
        else:
            flash(_("This attempt was already submitted; nothing was changed."), "info")
        return redirect(url_for("assessment.review", attempt_id=attempt.id))
    db.session.commit()
    if request.form.get("action") == "finish":
        return redirect(url_for("assessment.confirm", attempt_id=attempt.id))
    flash(_("Your answers are saved. You can come back and finish later."), "success")
    return redirect(url_for("assessment.take", attempt_id=attempt.id))


@bp.route("/assessment/attempts/<int:attempt_id>/submit", methods=["GET", "POST"])
@login_required
def confirm(attempt_id: int):
    attempt, course = _own_attempt(attempt_id)
    if attempt.status != IN_PROGRESS:
        return redirect(url_for("assessment.review", attempt_id=attempt.id))
    form = ActionForm()
    if form.validate_on_submit():
        now = clock.now()
        by = "time_limit" if is_expired(attempt, now) else "learner"
        certificate = None
        if submit_attempt(db.session, attempt, now, by=by):
            certificate = _award(attempt, course)
        else:
            flash(_("This attempt was already submitted; nothing was changed."), "info")
        db.session.commit()
        _announce(certificate)
        return redirect(url_for("assessment.review", attempt_id=attempt.id))
    unanswered = [item.position for item in attempt.items if item.response is None]
    return render_template("assessment/confirm.html", attempt=attempt, course=course, unanswered=unanswered, form=form, lang=_lang())


@bp.get("/assessment/attempts/<int:attempt_id>/review")
@login_required
def review(attempt_id: int):
    attempt, course = _own_attempt(attempt_id)
    if attempt.status == IN_PROGRESS:
        return redirect(url_for("assessment.take", attempt_id=attempt.id))
    reveal = may_see_correct_answers(db.session, attempt, course)
    labels = _truth_labels()
    items = []
    for item in attempt.items:
        question = from_data(item.question_data)
        given = describe_response(question, item.response, labels)
        items.append({
            "position": item.position, "text": render_question_text(question.text, question.text_format),
            "text_after": render_question_text(question.text_after, question.text_format) if question.text_after else "",
            "given": given, "verdict": verdict(item.fraction, item.response is not None), "fraction": item.fraction or 0.0,
            "feedback": [render_question_text(f, question.text_format) for f in item.feedback],
            "general_feedback": render_question_text(question.general_feedback, question.text_format) if question.general_feedback else "",
            "correct": correct_answers(question, labels) if reveal else [],
        })
    rules = allowance(db.session, current_user.id, course, clock.now())
    db.session.commit()
    return render_template("assessment/review.html", attempt=attempt, course=course, items=items, reveal=reveal, rules=rules, lang=_lang())


@bp.get("/courses/<slug>/assessment/statistics")
@role_required(Role.TRAINER.value)
def statistics(slug: str):
    course = get_published_course(db.session, slug) or abort(404)
    if not can_edit_course(db.session, current_user, course.id):
        abort(404)
    stats = question_stats(db.session, course, _truth_labels())
    stats.sort(key=lambda s: (s.answered == 0, s.percent_correct))
    return render_template("assessment/statistics.html", course=course, stats=stats, lang=_lang())
