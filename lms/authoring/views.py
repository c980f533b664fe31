"""Authoring views: the trainer's courses, the course editor, the lesson editor, images, publishing, trainers."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from lms.i18n import current_lang as _lang
from lms.accounts.access import role_required
from lms.accounts.models import Role
from lms.authoring import services
from lms.authoring.forms import (
    SLUG_TAKEN,
    ConfirmForm,
    CourseSettingsForm,
    ImageForm,
    LessonForm,
    LessonModuleForm,
    ModuleForm,
    MoveForm,
    NewCourseForm,
    NewLessonForm,
    NewModuleForm,
    PublishForm,
    TrainerForm,
    image_error,
    problem_message,
)
from lms.authoring.images import ImageRejected
from lms.catalog.models import PUBLISHED, Course, Lesson, Module
from lms.cohorts.access import can_edit_course, is_admin
from lms.extensions import db
from lms.storage import storage

bp = Blueprint("authoring", __name__, url_prefix="/authoring")

DEFAULT_IMAGE_MAX_BYTES = 5 * 1024 * 1024
# field prefixes of the forms that share the course editor page with the settings form
MODULE_PREFIX, LESSON_PREFIX = "module", "lesson"


@bp.before_request
@role_required(Role.TRAINER.value)
def _trainers_and_admins_only():
    """Every authoring page: visitors go to the login page, learners and verifiers get 403."""



def _image_limit() -> int:
    return int(current_app.config.get("IMAGE_MAX_BYTES", DEFAULT_IMAGE_MAX_BYTES))


def _course_or_404(course_id: int) -> Course:
    """A course the user may edit; 404 otherwise, so that others' courses are not revealed."""
    course = db.session.get(Course, course_id)
    if course is None or not can_edit_course(db.session, current_user, course.id):
        abort(404)
    return course


def _module_or_404(course: Course, module_id: int) -> Module:
    module = db.session.get(Module, module_id)
    if module is None or module.course_id != course.id:
        abort(404)
    return module


def _lesson_or_404(course: Course, lesson_id: int) -> Lesson:
    lesson = db.session.get(Lesson, lesson_id)
    if lesson is None or lesson.module.course_id != course.id:
        abort(404)
    return lesson


def _time(moment) -> str:
    return format_datetime(moment, "HH:mm") if moment else "?"


def _to_editor(course: Course, anchor: str | None = None):
    return redirect(url_for("authoring.course", course_id=course.id, _anchor=anchor))


# --- the trainer's courses ----------------------------------------------------------------------------------

@bp.get("/courses")
def courses():
    return render_template("authoring/courses.html", courses=services.editable_courses(db.session, current_user), lang=_lang())


def _create(form, create):
    """For a valid form, run `create()` and commit; a taken slug becomes the form's error. The new row, or None."""
    if not form.validate_on_submit():
        return None
    try:
        row = create()
    except services.SlugTaken:
        db.session.rollback()
        form.slug.errors = [SLUG_TAKEN]
        return None
    db.session.commit()
    return row


@bp.route("/courses/new", methods=["GET", "POST"])
def new_course():
    form = NewCourseForm()
    course = _create(form, lambda: services.create_course(db.session, form.slug.data, form.settings(), current_user.id))
    if course is None:
        return render_template("authoring/new_course.html", form=form), 422 if form.errors else 200
    flash(_("The draft course is created. Add modules and lessons, then publish it."), "success")
    return _to_editor(course)


# --- the course editor ----------------------------------------------------------------------------------------

def _editor_page(course: Course, status: int = 200, conflict: str | None = None, **forms):
    """The course editor; `forms` replaces the blank forms by the one that was sent (with its errors)."""
    modules = services.editor_outline(db.session, course)
    blank = {
        "settings_form": lambda: CourseSettingsForm(formdata=None, obj=course),
        "module_form": lambda: NewModuleForm(formdata=None, prefix=MODULE_PREFIX),
        "lesson_form": lambda: _new_lesson_form(modules, formdata=None),
        "image_form": lambda: ImageForm(formdata=None),
        "publish_form": lambda: PublishForm(formdata=None),
        "trainer_form": lambda: _trainer_form(formdata=None),
    }
    for name, make in blank.items():
        forms.setdefault(name, make())
    return render_template(
        "authoring/course.html", course=course, modules=modules, assets=services.course_assets(db.session, course),
        trainers=services.course_trainers(db.session, course), pending=services.pending_count(modules), published=course.status == PUBLISHED,
        question_count=services.question_count(db.session, course),
        can_assign=is_admin(current_user), conflict=conflict, image_limit_mb=round(_image_limit() / 1024 / 1024, 1), lang=_lang(), **forms,
    ), status


def _new_lesson_form(modules: list[Module], **kwargs) -> NewLessonForm:
    form = NewLessonForm(prefix=LESSON_PREFIX, **kwargs)
    form.module_id.choices = [(module.id, module.title(_lang())) for module in modules]
    return form


def _trainer_form(**kwargs) -> TrainerForm:
    form = TrainerForm(**kwargs)
    form.trainer_id.choices = [(user.id, f"{user.full_name} ({user.login})") for user in services.trainer_candidates(db.session)]
    return form


@bp.get("/courses/<int:course_id>")
def course(course_id: int):
    return _editor_page(_course_or_404(course_id))


@bp.post("/courses/<int:course_id>/settings")
def settings(course_id: int):
    course = _course_or_404(course_id)
    form = CourseSettingsForm()
    if not form.validate_on_submit():
        return _editor_page(course, 422, settings_form=form)
    try:
        changed = services.update_course(db.session, course, form.settings(), form.revision.data, current_user.id)
    except services.EditConflict as conflict:
        db.session.rollback()
        message = _("Someone else saved these settings at %(time)s; your changes are below; copy what you need and reload the page.", time=_time(conflict.saved_at))
        return _editor_page(course, 409, conflict=message, settings_form=form)
    db.session.commit()
    flash(_("The course settings are saved.") if changed else _("Nothing changed."), "success" if changed else "info")
    return _to_editor(course)


@bp.post("/courses/<int:course_id>/modules")
def add_module(course_id: int):
    course = _course_or_404(course_id)
    form = NewModuleForm(prefix=MODULE_PREFIX)
    module = _create(form, lambda: services.add_module(db.session, course, form.slug.data, form.title_vi.data, form.title_en.data, current_user.id))
    if module is None:
        return _editor_page(course, 422, module_form=form)
    flash(_("The module is added."), "success")
    return _to_editor(course, f"module-{module.id}")


@bp.route("/courses/<int:course_id>/modules/<int:module_id>", methods=["GET", "POST"])
def module(course_id: int, module_id: int):
    course = _course_or_404(course_id)
    module = _module_or_404(course, module_id)
    form = ModuleForm(obj=module)
    if form.validate_on_submit():
        services.rename_module(db.session, module, form.title_vi.data, form.title_en.data, current_user.id)
        db.session.commit()
        flash(_("The module is saved."), "success")
        return _to_editor(course, f"module-{module.id}")
    return render_template("authoring/module.html", course=course, module=module, form=form, lang=_lang()), 422 if form.errors else 200


@bp.post("/courses/<int:course_id>/modules/<int:module_id>/move")
def move_module(course_id: int, module_id: int):
    course = _course_or_404(course_id)
    module = _module_or_404(course, module_id)
    return _move(course, module, f"module-{module.id}")


@bp.post("/courses/<int:course_id>/lessons")
def add_lesson(course_id: int):
    course = _course_or_404(course_id)
    form = _new_lesson_form(services.editor_outline(db.session, course))
    lesson = _create(form, lambda: services.add_lesson(
        db.session, _module_or_404(course, form.module_id.data), form.slug.data, form.title_vi.data, form.title_en.data, current_user.id))
    if lesson is None:
        return _editor_page(course, 422, lesson_form=form)
    flash(_("The lesson is added. Write its text now."), "success")
    return redirect(url_for("authoring.lesson", course_id=course.id, lesson_id=lesson.id))


@bp.post("/courses/<int:course_id>/lessons/<int:lesson_id>/move")
def move_lesson(course_id: int, lesson_id: int):
    course = _course_or_404(course_id)
    lesson = _lesson_or_404(course, lesson_id)
    return _move(course, lesson, f"lesson-{lesson.id}")


def _move(course: Course, row: Module | Lesson, anchor: str):
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400)
    services.move(db.session, row, form.direction.data, current_user.id)
    db.session.commit()
    return _to_editor(course, anchor)


# --- moving a lesson to another module, deleting lessons and modules --------------------------------------------

def _fixed_reasons(use: services.ContentUse, kind: str) -> list[str]:
    """Why a lesson or a module stays, in words a trainer can act on."""
    reasons = []
    if use.published:
        reasons.append(_("It has been published: learners may have read it, and past versions of the course list it. "
                         "Change its text and publish the changes instead.") if kind == "lesson" else
                       _("It has been published: learners may have read its lessons, and past versions of the course list them. "
                         "Change their text and publish the changes instead."))
    if use.learners:
        reasons.append(ngettext("%(num)s learner has progress in it, which is kept.", "%(num)s learners have progress in it, which is kept.", use.learners))
    if use.questions:
        reasons.append(ngettext("%(num)s question of the question bank belongs to this module: move it to another module first.",
                                "%(num)s questions of the question bank belong to this module: move them to another module first.", use.questions))
    return reasons


def _lesson_module_form(course: Course, lesson: Lesson, **kwargs) -> LessonModuleForm:
    form = LessonModuleForm(**kwargs)
    form.module_id.choices = [(module.id, module.title(_lang())) for module in services.editor_outline(db.session, course) if module.id != lesson.module_id]
    return form


@bp.route("/courses/<int:course_id>/lessons/<int:lesson_id>/module", methods=["GET", "POST"])
def lesson_module(course_id: int, lesson_id: int):
    """Move a lesson nobody has seen yet to the end of another module of the course."""
    course = _course_or_404(course_id)
    lesson = _lesson_or_404(course, lesson_id)
    use = services.lesson_use(db.session, [lesson])
    form = _lesson_module_form(course, lesson)
    status = 200
    if not use.fixed and form.validate_on_submit():
        target = _module_or_404(course, form.module_id.data)
        try:
            services.move_lesson_to_module(db.session, lesson, target, current_user.id)
        except services.SlugTaken:
            db.session.rollback()
            form.module_id.errors = [_("The module “%(module)s” already has a lesson with the short name %(slug)s.", module=target.title(_lang()), slug=lesson.slug)]
        else:
            db.session.commit()
            flash(_("The lesson is now the last one of the module “%(module)s”.", module=target.title(_lang())), "success")
            return _to_editor(course, f"lesson-{lesson.id}")
    if form.is_submitted():
        status = 409 if use.fixed else 422
    return render_template("authoring/lesson_module.html", course=course, lesson=lesson, form=form, reasons=_fixed_reasons(use, "lesson"),
                           lang=_lang()), status


def _confirm_delete(course: Course, use, kind: str, delete, done_message: str, **page):
    """Ask first, then delete; refused (409, with the reasons) when learners may have seen it. (CSRFProtect
    answers a stale or forged form before this view runs.)"""
    form = ConfirmForm()
    if not use.fixed and form.validate_on_submit():
        delete()
        db.session.commit()
        flash(done_message, "success")
        return _to_editor(course, "outline")
    return render_template("authoring/delete.html", course=course, form=form, reasons=_fixed_reasons(use, kind), lang=_lang(),
                           **page), 409 if use.fixed and form.is_submitted() else 200


@bp.route("/courses/<int:course_id>/lessons/<int:lesson_id>/delete", methods=["GET", "POST"])
def delete_lesson(course_id: int, lesson_id: int):
    """Delete a lesson nobody has seen yet; a published lesson or one with progress is refused, with why."""
    course = _course_or_404(course_id)
    lesson = _lesson_or_404(course, lesson_id)
    return _confirm_delete(course, services.lesson_use(db.session, [lesson]), "lesson",
                           lambda: services.delete_lesson(db.session, lesson, current_user.id),
                           _("The lesson “%(title)s” is deleted.", title=lesson.title(_lang())),
                           module=lesson.module, lesson=lesson, lessons=[])


@bp.route("/courses/<int:course_id>/modules/<int:module_id>/delete", methods=["GET", "POST"])
def delete_module(course_id: int, module_id: int):
    """Delete a module nobody has seen yet, listing the lessons that go with it on the confirmation page."""
    course = _course_or_404(course_id)
    module = _module_or_404(course, module_id)
    return _confirm_delete(course, services.module_use(db.session, module), "module",
                           lambda: services.delete_module(db.session, module, current_user.id),
                           _("The module “%(title)s” and its lessons are deleted.", title=module.title(_lang())),
                           module=module, lesson=None, lessons=list(module.lessons))


# --- images ----------------------------------------------------------------------------------------------------

@bp.post("/courses/<int:course_id>/images")
def upload_image(course_id: int):
    course = _course_or_404(course_id)
    form = ImageForm()
    if not form.validate_on_submit():
        return _editor_page(course, 422, image_form=form)
    limit, upload = _image_limit(), form.image.data
    try:
        # read one byte past the limit: enough to know the file is too large without reading all of it
        asset = services.add_course_image(db.session, storage(), course, upload.filename or "", upload.stream.read(limit + 1), limit, current_user.id)
    except ImageRejected as error:
        db.session.rollback()
        form.image.errors = [image_error(error.reason, limit)]
        return _editor_page(course, 422, image_form=form)
    db.session.commit()
    flash(_("The image %(name)s is ready: copy its snippet below into a lesson.", name=asset.name), "success")
    return _to_editor(course, "images")


@bp.get("/courses/<int:course_id>/assets/<path:name>")
def asset(course_id: int, name: str):
    """A course's image for the editor's preview (the learners' address serves published courses only)."""
    course = _course_or_404(course_id)
    found = services.find_asset(db.session, course, name) or abort(404)
    path = storage().local_path(f"course-assets/{course.slug}/{found.sha256}")
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype=found.content_type, etag=found.sha256, max_age=0)


# --- lessons ---------------------------------------------------------------------------------------------------

def _lesson_page(course: Course, lesson: Lesson, form: LessonForm, status: int = 200, preview=None, conflict: str | None = None):
    return render_template(
        "authoring/lesson.html", course=course, module=lesson.module, lesson=lesson, form=form, preview=preview, conflict=conflict,
        warnings=services.lesson_warnings(lesson), lang=_lang(),
    ), status


def _preview(course: Course, lesson: Lesson, form: LessonForm) -> dict[str, tuple[str, list[str]]]:
    rendered = services.preview_lesson(db.session, lesson, form.draft(), lambda name: url_for("authoring.asset", course_id=course.id, name=name))
    return {lang: (result.html, [problem_message(p) for p in result.problems]) for lang, result in rendered.items()}


@bp.route("/courses/<int:course_id>/lessons/<int:lesson_id>", methods=["GET", "POST"])
def lesson(course_id: int, lesson_id: int):
    course = _course_or_404(course_id)
    lesson = _lesson_or_404(course, lesson_id)
    form = LessonForm(obj=lesson)
    if request.method == "GET":
        return _lesson_page(course, lesson, form)
    valid = form.validate_on_submit()
    if form.preview.data or not valid:
        preview = _preview(course, lesson, form) if form.preview.data else None
        return _lesson_page(course, lesson, form, 200 if valid else 422, preview=preview)
    try:
        changed = services.save_lesson(db.session, lesson, form.draft(), form.revision.data, current_user.id)
    except services.EditConflict as conflict:
        db.session.rollback()
        message = _("Someone else saved this lesson at %(time)s; your text is below; copy what you need and reload the page.", time=_time(conflict.saved_at))
        return _lesson_page(course, lesson, form, 409, conflict=message)
    except services.MarkdownProblems as error:
        db.session.rollback()
        form.add_problems(error.problems)
        return _lesson_page(course, lesson, form, 422)
    db.session.commit()
    flash(_("The lesson is saved.") if changed else _("Nothing changed."), "success" if changed else "info")
    return redirect(url_for("authoring.lesson", course_id=course.id, lesson_id=lesson.id))


# --- publishing and trainers -----------------------------------------------------------------------------------

@bp.post("/courses/<int:course_id>/publish")
def publish(course_id: int):
    course = _course_or_404(course_id)
    form = PublishForm(needs_note=course.status == PUBLISHED)
    if not form.validate_on_submit():
        return _editor_page(course, 422, publish_form=form)
    try:
        version = services.publish_course(db.session, course, current_user.id, form.change_note.data or "", form.requires_recertification.data)
    except services.NothingToPublish as refused:
        db.session.rollback()
        flash(_("Add at least one lesson before publishing.") if refused.reason == "no_lessons" else _("Nothing changed since the last version."), "error")
        return _to_editor(course)
    db.session.commit()
    flash(_("Version %(number)s is published. Learners see it in the catalogue.", number=version.number), "success")
    return _to_editor(course)


@bp.post("/courses/<int:course_id>/trainers")
def assign_trainer(course_id: int):
    if not is_admin(current_user):
        abort(403)
    course = _course_or_404(course_id)
    form = _trainer_form()
    if not form.validate_on_submit():
        return _editor_page(course, 422, trainer_form=form)
    if services.assign_trainer(db.session, course, form.trainer_id.data, current_user.id):
        db.session.commit()
        flash(_("The trainer can now edit this course."), "success")
    else:
        flash(_("This trainer already edits this course."), "info")
    return _to_editor(course, "trainers")
