"""Question bank pages: a course's bank, question forms, retiring and restoring, GIFT upload (preview, apply) and download."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lms.i18n import current_lang as _lang
from lms.accounts.access import role_required
from lms.accounts.models import Role
from lms.assessment.models import Question
from lms.catalog.forms import ActionForm
from lms.catalog.models import Course
from lms.core.templating import page_number
from lms.extensions import db
from lms.questionbank.forms import FORMS, ApplyForm, QuestionForm, UploadForm, issue_message, question_form, submitted_revision
from lms.questionbank.services import (
    ADDED,
    CHANGED,
    LANGS,
    MISSING,
    UNCHANGED,
    BankPlan,
    EditConflict,
    PlanOutdated,
    PlanRejected,
    QuestionRejected,
    apply_gift,
    bank_page,
    course_modules,
    create_question,
    editable_course,
    export_gift,
    get_question,
    gift_snippet,
    group_by_module,
    plan_gift,
    question_type,
    restore_question,
    retire_question,
    short_text,
    update_question,
    usage_counts,
)

bp = Blueprint("questionbank", __name__)
PER_PAGE = 50

KIND_LABELS = {
    "single": _l("Single choice"),
    "multiple": _l("Multiple choice"),
    "truefalse": _l("True or false"),
    "short": _l("Short answer"),
    "numerical": _l("Numerical"),
    "matching": _l("Matching"),
    "missing": _l("Missing word"),
    "essay": _l("Essay (not graded)"),
    "description": _l("Description (not graded)"),
}
OUTCOME_LABELS = {ADDED: _l("added"), CHANGED: _l("changed"), UNCHANGED: _l("unchanged"), MISSING: _l("not in the file")}
CHANGE_LABELS = {
    "vi": _l("Vietnamese changed"),
    "en": _l("English changed"),
    "module": _l("moves to another module"),
    "restored": _l("retired: will be used again"),
    "no_english": _l("no English version yet"),
}



def _course(slug: str) -> Course:
    """The course if the signed-in trainer may edit it; 'not found' otherwise, so courses of others stay unseen."""
    return editable_course(db.session, current_user, slug) or abort(404)


def _question(course: Course, question_id: int) -> Question:
    return get_question(db.session, course.id, question_id) or abort(404)


def _labels() -> dict:
    return {"kinds": KIND_LABELS, "outcomes": OUTCOME_LABELS, "changes": CHANGE_LABELS, "lang": _lang()}


@bp.get("/authoring/courses/<slug>/questions")
@role_required(Role.TRAINER.value)
def index(slug: str):
    course = _course(slug)
    show_retired = request.args.get("retired") == "1"
    page = bank_page(db.session, course.id, show_retired, page_number(request.args.get("page")), PER_PAGE)
    groups = group_by_module(page.items, course_modules(db.session, course.id))
    usage = usage_counts(db.session, [question.id for question in page.items])
    return render_template("questionbank/index.html", course=course, page=page, groups=groups, usage=usage, show_retired=show_retired,
                           form_types=list(FORMS), question_type=question_type, short_text=short_text, **_labels())


def _render_form(course: Course, form: QuestionForm, form_type: str, question: Question | None = None, status: int = 200, conflict: bool = False):
    current = {lang: gift_snippet(question.data_vi if lang == "vi" else question.data_en) for lang in LANGS} if conflict else {}
    return render_template("questionbank/edit.html", course=course, form=form, form_type=form_type, question=question,
                           conflict=conflict, current=current, **_labels()), status


def _saved(form: QuestionForm, save) -> Question | None:
    """Build the questions from a sent form and save them; None (the form then holds the errors) if anything is wrong."""
    if not form.validate_on_submit():
        return None
    built = form.build()
    if built is None:
        return None
    try:
        return save(*built)
    except QuestionRejected as rejected:
        db.session.rollback()
        form.add_issues(rejected.issues)
        return None


def _done(course: Course, question: Question):
    db.session.commit()
    flash(_("Question %(title)s is saved.", title=question.title), "success")
    return redirect(url_for("questionbank.index", slug=course.slug))


@bp.route("/authoring/courses/<slug>/questions/new/<form_type>", methods=["GET", "POST"])
@role_required(Role.TRAINER.value)
def create(slug: str, form_type: str):
    course = _course(slug)
    if form_type not in FORMS:
        abort(404)
    form = question_form(form_type, course_modules(db.session, course.id), _lang())
    question = _saved(form, lambda vi, en: create_question(db.session, course, current_user.id, form.title.data, form.module.data, vi, en))
    if question is not None:
        return _done(course, question)
    return _render_form(course, form, form_type, status=422 if form.is_submitted() else 200)


@bp.route("/authoring/courses/<slug>/questions/<int:question_id>/edit", methods=["GET", "POST"])
@role_required(Role.TRAINER.value)
def edit(slug: str, question_id: int):
    course = _course(slug)
    question = _question(course, question_id)
    form_type = question_type(question.data_vi)
    if form_type not in FORMS:
        flash(_("Questions of this kind are not graded and cannot be edited here; change them in a GIFT file."), "info")
        return redirect(url_for("questionbank.index", slug=slug))
    form = question_form(form_type, course_modules(db.session, course.id), _lang(), question)
    try:
        saved = _saved(form, lambda vi, en: update_question(db.session, question, current_user.id, form.module.data, vi, en, submitted_revision(form)))
    except EditConflict as conflict:
        db.session.rollback()
        form.revision.data = str(conflict.revision)  # saving again, knowingly, replaces the newer revision
        return _render_form(course, form, form_type, question, status=409, conflict=True)
    if saved is not None:
        return _done(course, saved)
    return _render_form(course, form, form_type, question, status=422 if form.is_submitted() else 200)


def _change_state(slug: str, question_id: int, retire: bool):
    course = _course(slug)
    question = _question(course, question_id)
    form = ActionForm()
    if form.validate_on_submit():
        changed = (retire_question if retire else restore_question)(db.session, question, current_user.id)
        db.session.commit()
        if retire:
            flash(_("Question %(title)s is retired: it will not be drawn again.", title=question.title) if changed
                  else _("Question %(title)s was already retired.", title=question.title), "success" if changed else "info")
        else:
            flash(_("Question %(title)s is in use again.", title=question.title) if changed
                  else _("Question %(title)s was not retired.", title=question.title), "success" if changed else "info")
        return redirect(url_for("questionbank.index", slug=slug))
    return render_template("questionbank/confirm.html", course=course, question=question, retire=retire, form=form,
                           usage=usage_counts(db.session, [question.id]).get(question.id, 0), short_text=short_text, **_labels())


@bp.route("/authoring/courses/<slug>/questions/<int:question_id>/retire", methods=["GET", "POST"])
@role_required(Role.TRAINER.value)
def retire(slug: str, question_id: int):
    return _change_state(slug, question_id, retire=True)


@bp.route("/authoring/courses/<slug>/questions/<int:question_id>/restore", methods=["GET", "POST"])
@role_required(Role.TRAINER.value)
def restore(slug: str, question_id: int):
    return _change_state(slug, question_id, retire=False)


@bp.get("/authoring/courses/<slug>/questions/export/<lang>.gift")
@role_required(Role.TRAINER.value)
def download(slug: str, lang: str):
    course = _course(slug)
    if lang not in LANGS:
        abort(404)
    return Response(export_gift(db.session, course, lang), mimetype="text/plain",
                    headers={"Content-Disposition": f'attachment; filename="{course.slug}.{lang}.gift"'})


def _render_upload(course: Course, form: UploadForm, plan: BankPlan | None = None, status: int = 200):
    problems = [issue_message(issue) for issue in plan.issues] if plan else []
    return render_template("questionbank/upload.html", course=course, form=form, problems=problems, **_labels()), status


def _render_preview(course: Course, plan: BankPlan, form: ApplyForm, status: int = 200, outdated: bool = False):
    return render_template("questionbank/preview.html", course=course, plan=plan, form=form, outdated=outdated, **_labels()), status


@bp.route("/authoring/courses/<slug>/questions/upload", methods=["GET", "POST"])
@role_required(Role.TRAINER.value)
def upload(slug: str):
    """Step 1: choose the files; sending them shows what would change, and writes nothing."""
    course = _course(slug)
    form = UploadForm()
    if not form.validate_on_submit():
        return _render_upload(course, form, status=422 if form.is_submitted() else 200)
    uploads, issues = form.uploads()
    plan = plan_gift(db.session, course, uploads, issues)
    if plan.issues:
        return _render_upload(course, form, plan, status=422)
    return _render_preview(course, plan, ApplyForm.carrying(uploads, plan.digest))


@bp.post("/authoring/courses/<slug>/questions/upload/apply")
@role_required(Role.TRAINER.value)
def apply(slug: str):
    """Step 2: apply the previewed upload in one transaction, after reading and checking the text again."""
    course = _course(slug)
    form = ApplyForm()
    if not form.validate_on_submit():
        abort(400)
    uploads, issues = form.uploads()
    try:
        plan = apply_gift(db.session, course, current_user.id, uploads, set(form.retire.data or ()), form.digest.data or "", issues)
    except PlanRejected as rejected:
        db.session.rollback()
        return _render_upload(course, UploadForm(formdata=None), rejected.plan, status=422)
    except PlanOutdated as outdated:
        db.session.rollback()
        return _render_preview(course, outdated.plan, ApplyForm.carrying(uploads, outdated.plan.digest), status=409, outdated=True)
    db.session.commit()
    counts = plan.counts
    flash(_("The question bank is updated: %(added)s added, %(changed)s changed, %(retired)s retired.",
            added=counts[ADDED], changed=counts[CHANGED], retired=len(plan.retired)), "success")
    return redirect(url_for("questionbank.index", slug=slug))
