"""Learning views: catalogue, course page, enrolment, lessons, assets."""
from __future__ import annotations

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from lms.i18n import current_lang as _lang
from lms.catalog import bp
from lms.catalog.forms import ActionForm
from lms.catalog.learning_models import ACTIVE
from lms.catalog.models import Course, CourseAsset, CourseVersion, Lesson, Module
from lms.catalog.progress import course_progress, progress_for
from lms.catalog.services import (
    NotEnrolled,
    PrerequisitesMissing,
    TooEarly,
    complete_lesson,
    continue_lesson,
    enrol_learner,
    find_lesson,
    get_enrolment,
    get_published_course,
    missing_prerequisites,
    neighbours,
    outline,
    published_courses,
    record_lesson_view,
    sync_offline_completions,
    unenrol_learner,
)
from lms import clock
from lms.cohorts.access import can_edit_course
from lms.content.render import video_embed
from lms.credentials.context import issuing_context, prepare_pdf_quietly
from lms.credentials.services import issue_if_due
from lms.core.pagination import paginate
from lms.core.templating import page_number
from lms.extensions import db
from lms.onboarding.events import eligibility_changed, state_before
from lms.storage import storage


# sent by static/js/offline.js when it stores a course's pages for offline reading
PREFETCH_HEADER = "X-LMS-Prefetch"
MAX_SYNC_ITEMS = 500



def _course_or_404(slug: str) -> Course:
    return get_published_course(db.session, slug) or abort(404)


def issue_due_after_sync(session, user_id: int, lesson_ids: list[int]) -> list:
    """Certificates earned by lessons completed offline (the last lesson may have been one of them)."""
    if not lesson_ids:
        return []
    course_ids = select(Module.course_id).join(Lesson, Lesson.module_id == Module.id).where(Lesson.id.in_(lesson_ids))
    courses = session.scalars(select(Course).where(Course.id.in_(course_ids)))
    issued = [issue_if_due(session, user_id, course, issuing_context(), clock.now()) for course in courses]
    return [certificate for certificate in issued if certificate is not None]


def _is_enrolled(course: Course) -> bool:
    enrolment = get_enrolment(db.session, current_user.id, course.id)
    return enrolment is not None and enrolment.status == ACTIVE


@bp.get("/courses")
def catalogue():
    query = request.args.get("q", "")[:100]
    page = paginate(db.session, published_courses(db.session, query), page_number(request.args.get("page")), current_app.config["PAGE_SIZE"])
    progress = {}
    if current_user.is_authenticated and page.items:
        progress = {course_id: p for (_, course_id), p in progress_for(db.session, [current_user.id], [c.id for c in page.items]).items()}
    titles = {c.slug: c.title(_lang()) for c in db.session.scalars(select(Course))} if any(c.prerequisites for c in page.items) else {}
    return render_template("catalog/catalogue.html", page=page, query=query, progress=progress, lang=_lang(), titles=titles)


@bp.get("/courses/<slug>")
def course(slug: str):
    course = _course_or_404(slug)
    course_outline = outline(db.session, course)
    progress = enrolment = resume = missing = None
    newer_versions = []
    if current_user.is_authenticated:
        enrolment = get_enrolment(db.session, current_user.id, course.id)
        progress = course_progress(db.session, current_user.id, course.id)
        if enrolment and enrolment.status == ACTIVE:
            resume = continue_lesson(course_outline, progress.completed_lesson_ids, progress.last_lesson_id)
            newer_versions = list(db.session.scalars(select(CourseVersion).where(CourseVersion.course_id == course.id, CourseVersion.number > enrolment.version).order_by(CourseVersion.number)))
        else:
            missing = missing_prerequisites(db.session, current_user.id, course)
    module_progress = {m.module_id: m for m in progress.modules} if progress else {}
    return render_template(
        "catalog/course.html", course=course, outline=course_outline, progress=progress, module_progress=module_progress,
        enrolment=enrolment, resume=resume, missing=missing, newer_versions=newer_versions, lang=_lang(), form=ActionForm(),
        can_edit=can_edit_course(db.session, current_user, course.id),
    )


@bp.post("/courses/<slug>/enrol")
@login_required
def enrol(slug: str):
    course = _course_or_404(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        enrol_learner(db.session, current_user.id, course)
    except PrerequisitesMissing as error:
        db.session.rollback()
        names = ", ".join(c.title(_lang()) for c in error.missing)
        flash(_("Finish these courses first: %(courses)s.", courses=names), "error")
        return redirect(url_for("catalog.course", slug=slug))
    db.session.commit()
    flash(_("You are enrolled. Good luck!"), "success")
    return redirect(url_for("catalog.course", slug=slug))


@bp.route("/courses/<slug>/leave", methods=["GET", "POST"])
@login_required
def leave(slug: str):
    course = _course_or_404(slug)
    form = ActionForm()
    if form.validate_on_submit():
        unenrol_learner(db.session, current_user.id, course)
        db.session.commit()
        flash(_("You left the course. Your progress is kept if you come back."), "info")
        return redirect(url_for("core.dashboard"))
    return render_template("catalog/leave.html", course=course, form=form, lang=_lang())


@bp.get("/courses/<slug>/assets/<path:name>")
def asset(slug: str, name: str):
    course = _course_or_404(slug)
    record = db.session.scalar(select(CourseAsset).where(CourseAsset.course_id == course.id, CourseAsset.name == name)) or abort(404)
    path = storage().local_path(f"course-assets/{course.slug}/{record.sha256}")
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=record.content_type, etag=record.sha256, conditional=True, max_age=7 * 24 * 3600)
    response.headers["Cache-Control"] = "public, max-age=604800"
    return response


@bp.get("/courses/<slug>/handout.pdf")
@login_required
def handout(slug: str):
    """The whole course as a PDF for offline reading (enrolled learners)."""
    from lms.catalog.handout import course_handout  # imported here: WeasyPrint is heavy to load in every worker

    course = _course_or_404(slug)
    if not _is_enrolled(course):
        abort(404)
    path = course_handout(db.session, course, outline(db.session, course, with_text=True), _lang(), storage())
    return send_file(path, mimetype="application/pdf", as_attachment=True, download_name=f"{course.slug}-{_lang()}.pdf", max_age=3600)


@bp.get("/courses/<slug>/<module_slug>/<lesson_slug>")
@login_required
def lesson(slug: str, module_slug: str, lesson_slug: str):
    course = _course_or_404(slug)
    lesson = find_lesson(db.session, course, module_slug, lesson_slug) or abort(404)
    enrolment = get_enrolment(db.session, current_user.id, course.id)
    if enrolment is None or enrolment.status != ACTIVE:
        return render_template("catalog/enrol_prompt.html", course=course, form=ActionForm(), lang=_lang()), 403
    if request.headers.get(PREFETCH_HEADER) != "1":  # saving a course for offline reading is not reading it
        record_lesson_view(db.session, current_user.id, enrolment, lesson)
        db.session.commit()
    course_outline = outline(db.session, course)
    progress = course_progress(db.session, current_user.id, course.id)
    module = next(m for m, _ in course_outline if m.id == lesson.module_id)
    return render_template(
        "catalog/lesson.html", course=course, module=module, lesson=lesson, outline=course_outline, progress=progress,
        around=neighbours(course_outline, lesson), video=video_embed(lesson.video_url), lang=_lang(), form=ActionForm(),
    )


@bp.post("/courses/<slug>/<module_slug>/<lesson_slug>/complete")
@login_required
def complete(slug: str, module_slug: str, lesson_slug: str):
    course = _course_or_404(slug)
    lesson = find_lesson(db.session, course, module_slug, lesson_slug) or abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    here = url_for("catalog.lesson", slug=slug, module_slug=module_slug, lesson_slug=lesson_slug)
    try:
        complete_lesson(db.session, current_user.id, course, lesson)
    except NotEnrolled:
        db.session.rollback()
        flash(_("Enrol in the course to record your progress."), "error")
        return redirect(url_for("catalog.course", slug=slug))
    except TooEarly as error:
        db.session.rollback()
        flash(_("Please read the lesson a little longer (about %(seconds)s more seconds) before marking it complete.", seconds=error.seconds_left), "warning")
        return redirect(here)
    before = state_before(db.session, current_user.id, clock.now(), current_app.config["RECERTIFICATION_GRACE_DAYS"])
    certificate = issue_if_due(db.session, current_user.id, course, issuing_context(), clock.now())
    eligibility_changed(db.session, current_user.id, before, clock.now(), current_app.config["RECERTIFICATION_GRACE_DAYS"])
    db.session.commit()
    if certificate is not None:
        prepare_pdf_quietly(db.session, certificate)
        flash(_("Your certificate is ready: code %(code)s.", code=certificate.code), "success")
    course_outline = outline(db.session, course)
    after = neighbours(course_outline, lesson).next
    if after:
        return redirect(url_for("catalog.lesson", slug=slug, module_slug=after[0].slug, lesson_slug=after[1].slug))
    flash(_("You finished the last lesson of this course."), "success")
    return redirect(url_for("catalog.course", slug=slug))


@bp.get("/courses/<slug>/offline.json")
@login_required
def offline_manifest(slug: str):
    """What to store for reading this course offline: its lesson pages, assets, stylesheet and scripts."""
    course = _course_or_404(slug)
    if not _is_enrolled(course):
        return jsonify(error="not_enrolled"), 403
    lessons = [url_for("catalog.lesson", slug=slug, module_slug=m.slug, lesson_slug=l.slug) for m, ls in outline(db.session, course) for l in ls]
    assets = [url_for("catalog.asset", slug=slug, name=name) for name in db.session.scalars(select(CourseAsset.name).where(CourseAsset.course_id == course.id))]
    static = [url_for("static", filename=name) for name in ("css/app.css", "js/offline.js", "img/favicon.svg")]
    return jsonify(course=slug, pages=[url_for("catalog.course", slug=slug), *lessons], files=[*assets, *static])


@bp.post("/progress/sync")
@login_required
def sync_progress():
    """Lessons marked complete offline, sent when the phone is back online: {"lessons": [id, ...]}."""
    payload = request.get_json(silent=True)
    lesson_ids = payload.get("lessons") if isinstance(payload, dict) else None
    if not isinstance(lesson_ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in lesson_ids):
        return jsonify(error="bad_request", message="send {\"lessons\": [lesson id, ...]}"), 400
    if len(lesson_ids) > MAX_SYNC_ITEMS:
        return jsonify(error="too_many", message=f"at most {MAX_SYNC_ITEMS} lessons per request"), 413
    results = sync_offline_completions(db.session, current_user.id, lesson_ids)
    before = state_before(db.session, current_user.id, clock.now(), current_app.config["RECERTIFICATION_GRACE_DAYS"])
    issued = issue_due_after_sync(db.session, current_user.id, [lesson for lesson, status in results.items() if status == "completed"])
    eligibility_changed(db.session, current_user.id, before, clock.now(), current_app.config["RECERTIFICATION_GRACE_DAYS"])
    db.session.commit()
    for certificate in issued:
        prepare_pdf_quietly(db.session, certificate)
    return jsonify(results=[{"lesson": lesson_id, "status": status} for lesson_id, status in results.items()])
