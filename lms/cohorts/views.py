"""Training-session pages: list, create and edit sessions, their trainers and members, roster CSV imports."""
from __future__ import annotations

import base64
import hashlib

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm

from lms import clock
from lms.i18n import current_lang as _lang
from lms.accounts.access import role_required
from lms.accounts.forms import MESSAGES, message_for
from lms.accounts.identity import InvalidValue, split_login
from lms.accounts.models import Role
from lms.accounts.services import DuplicateLogin, find_user_by_login
from lms.cohorts.access import is_admin, sessions_query
from lms.cohorts.forms import (
    SESSION_MESSAGES,
    MemberLookupForm,
    NewMemberForm,
    RosterApplyForm,
    RosterUploadForm,
    SessionForm,
    TrainerForm,
    file_error_message,
    problem_message,
)
from lms.cohorts.models import TrainingSession
from lms.cohorts.roster import RosterError, parse_roster, write_csv
from lms.cohorts.uploads import purge_roster_uploads, upload_key
from lms.cohorts.services import (
    REJECTED,
    EnrolmentReport,
    MemberAdded,
    NewMember,
    add_member,
    add_trainer,
    apply_roster,
    create_member,
    create_session,
    current_member,
    member_counts,
    members_query,
    plan_roster,
    published_courses,
    remove_member,
    remove_trainer,
    session_courses,
    session_run_by,
    session_trainers,
    trainer_candidates,
    update_session,
)
from lms.core.pagination import paginate
from lms.core.templating import page_number
from lms.extensions import db
from lms.storage import storage

bp = Blueprint("cohorts", __name__)

# besides every rejected row, how many rows the preview lists
PREVIEW_ROWS = 500
trainers_only = role_required(Role.TRAINER.value)  # admins pass too


class ConfirmForm(FlaskForm):
    """A button that changes something (remove a member or a trainer)."""



def _session_or_404(session_id: int) -> TrainingSession:
    """A session the current user runs; any other id answers 404, as if it did not exist."""
    return session_run_by(db.session, current_user, session_id) or abort(404)


def _here(training: TrainingSession) -> str:
    return url_for("cohorts.session_detail", session_id=training.id)


def _flash_enrolment(report: EnrolmentReport) -> None:
    for course, count in report.blocked:
        flash(ngettext("%(num)s learner could not be enrolled in “%(course)s”: its prerequisite courses are not finished yet.",
                       "%(num)s learners could not be enrolled in “%(course)s”: its prerequisite courses are not finished yet.",
                       count, course=course.title(_lang())), "warning")


def _flash_added(outcome: MemberAdded) -> None:
    if not outcome.added:
        flash(_("%(name)s is already in this session.", name=outcome.user.full_name), "info")
        return
    flash(_("%(name)s is added to the session and enrolled in its courses.", name=outcome.user.full_name), "success")
    if outcome.not_enrolled:
        flash(_("Not enrolled in: %(courses)s (prerequisite courses not finished yet).",
                courses=", ".join(c.title(_lang()) for c in outcome.not_enrolled)), "warning")


def _session_form(training: TrainingSession | None = None) -> SessionForm:
    form = SessionForm(obj=training)
    form.courses.choices = [(c.id, c.title(_lang())) for c in published_courses(db.session)]
    if request.method == "GET":
        if training is None:
            form.province.data = current_user.province
        else:
            form.courses.data = [c.id for c in session_courses(db.session, training.id)]
    return form


@bp.get("/sessions")
@trainers_only
def sessions():
    page = paginate(db.session, sessions_query(current_user), page_number(request.args.get("page")), current_app.config["PAGE_SIZE"])
    return render_template("cohorts/sessions.html", page=page, counts=member_counts(db.session, [s.id for s in page.items]))


@bp.route("/sessions/new", methods=["GET", "POST"])
@trainers_only
def new_session():
    form = _session_form()
    if form.validate_on_submit():
        training = create_session(db.session, form.details(), form.courses.data or [], current_user.id)
        db.session.commit()
        flash(_("The session “%(name)s” is created. Now add its learners.", name=training.name), "success")
        return redirect(_here(training))
    return render_template("cohorts/session_form.html", form=form, training=None)


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@trainers_only
def edit_session(session_id: int):
    training = _session_or_404(session_id)
    form = _session_form(training)
    if form.validate_on_submit():
        report = update_session(db.session, training, form.details(), form.courses.data or [], current_user.id)
        db.session.commit()
        flash(_("The session is saved."), "success")
        _flash_enrolment(report)
        return redirect(_here(training))
    return render_template("cohorts/session_form.html", form=form, training=training)


def _detail_page(training: TrainingSession, lookup: MemberLookupForm | None = None):
    removed = request.args.get("show") == "removed"
    page = paginate(db.session, members_query(training.id, removed), page_number(request.args.get("page")), current_app.config["PAGE_SIZE"])
    trainer_form = None
    if is_admin(current_user):
        trainer_form = TrainerForm()
        trainer_form.user_id.choices = [(u.id, f"{u.full_name} ({u.login})") for u in trainer_candidates(db.session, training.id)]
    report_url = url_for("reports.training_session", session_id=training.id) if "reports.training_session" in current_app.view_functions else None
    return render_template(
        "cohorts/session.html", training=training, courses=session_courses(db.session, training.id), trainers=session_trainers(db.session, training.id),
        page=page, removed=removed, lookup=lookup or MemberLookupForm(formdata=None), trainer_form=trainer_form, confirm=ConfirmForm(),
        report_url=report_url, lang=_lang(),
    )


@bp.get("/sessions/<int:session_id>")
@trainers_only
def session_detail(session_id: int):
    return _detail_page(_session_or_404(session_id))


def _change_trainers(session_id: int, form: FlaskForm, change, done: str):
    """Admins only: run change(training) if the form is valid; a refused change is explained, not an error page."""
    training = _session_or_404(session_id)
    if not is_admin(current_user):
        abort(403)
    if not form.validate_on_submit():
        abort(400)
    try:
        changed = change(training)
    except InvalidValue as error:
        db.session.rollback()
        flash(SESSION_MESSAGES[error.code], "error")
    else:
        db.session.commit()
        if changed:
            flash(done, "success")
    return redirect(_here(training))


@bp.post("/sessions/<int:session_id>/trainers")
@trainers_only
def add_session_trainer(session_id: int):
    form = TrainerForm()
    return _change_trainers(session_id, form, lambda training: add_trainer(db.session, training, form.user_id.data, current_user.id),
                            _("The trainer is added."))


@bp.post("/sessions/<int:session_id>/trainers/<int:user_id>/remove")
@trainers_only
def remove_session_trainer(session_id: int, user_id: int):
    return _change_trainers(session_id, ConfirmForm(), lambda training: remove_trainer(db.session, training, user_id, current_user.id),
                            _("The trainer no longer runs this session."))


@bp.post("/sessions/<int:session_id>/members")
@trainers_only
def add_session_member(session_id: int):
    """Add a learner by email or phone; an unknown one leads to the form that creates their account."""
    training = _session_or_404(session_id)
    form = MemberLookupForm()
    if not form.validate_on_submit():
        return _detail_page(training, form)
    try:
        split_login(form.login.data)
    except InvalidValue as error:
        form.login.errors.append(message_for(error))
        return _detail_page(training, form)
    user = find_user_by_login(db.session, form.login.data)
    if user is None:
        new = NewMemberForm(formdata=None, login=form.login.data.strip(), province=training.province)
        return render_template("cohorts/new_member.html", training=training, form=new)
    try:
        outcome = add_member(db.session, training, user, current_user.id)
    except InvalidValue as error:
        db.session.rollback()
        form.login.errors.append(SESSION_MESSAGES[error.code])
        return _detail_page(training, form)
    db.session.commit()
    _flash_added(outcome)
    return redirect(_here(training))


@bp.post("/sessions/<int:session_id>/members/new")
@trainers_only
def create_session_member(session_id: int):
    """Create the learner's account and show its temporary password, once, in this response only."""
    training = _session_or_404(session_id)
    form = NewMemberForm()
    error_message = None
    if form.validate_on_submit():
        new = NewMember(login=form.login.data, full_name=form.full_name.data, province=form.province.data, business_name=form.business_name.data or "")
        try:
            outcome, password = create_member(db.session, training, new, current_user.id)
        except DuplicateLogin:
            error_message = MESSAGES["login_taken"]
        except InvalidValue as error:
            error_message = SESSION_MESSAGES.get(error.code, message_for(error))
        else:
            db.session.commit()
            return render_template("cohorts/member_created.html", training=training, user=outcome.user, password=password,
                                   not_enrolled=[c.title(_lang()) for c in outcome.not_enrolled])
        db.session.rollback()
    return render_template("cohorts/new_member.html", training=training, form=form, error_message=error_message)


@bp.route("/sessions/<int:session_id>/members/<int:user_id>/remove", methods=["GET", "POST"])
@trainers_only
def remove_session_member(session_id: int, user_id: int):
    training = _session_or_404(session_id)
    user = current_member(db.session, training.id, user_id) or abort(404)
    form = ConfirmForm()
    if form.validate_on_submit():
        remove_member(db.session, training, user.id, current_user.id)
        db.session.commit()
        flash(_("%(name)s is removed from the session. Their account and progress are kept.", name=user.full_name), "success")
        return redirect(_here(training))
    return render_template("cohorts/remove_member.html", training=training, user=user, form=form)


def _preview(training: TrainingSession, plan, digest: str):
    shown, others = [], 0
    for planned in plan.rows:
        if planned.outcome == REJECTED or others < PREVIEW_ROWS:
            shown.append(planned)
            others += planned.outcome != REJECTED
    return render_template("cohorts/roster_preview.html", training=training, plan=plan, shown=shown, hidden=len(plan.rows) - len(shown),
                           form=RosterApplyForm(formdata=None, upload=digest), problem_message=problem_message)


@bp.route("/sessions/<int:session_id>/import", methods=["GET", "POST"])
@trainers_only
def import_roster(session_id: int):
    """Step 1: upload a CSV and see, row by row, what applying it would do (nothing is written).

    The uploaded bytes are kept in storage under their SHA-256 until they are applied, so the
    apply step works on exactly the previewed file and on any app server.
    """
    training = _session_or_404(session_id)
    form = RosterUploadForm()
    if form.validate_on_submit():
        data = form.file.data.read()
        try:
            roster = parse_roster(data)
        except RosterError as error:
            form.file.errors.append(file_error_message(error))
        else:
            digest = hashlib.sha256(data).hexdigest()
            files = storage()
            files.put(upload_key(digest), data)
            purge_roster_uploads(files, clock.now())  # also without cron, forgotten uploads do not stay past a day
            return _preview(training, plan_roster(db.session, training.id, roster), digest)
    return render_template("cohorts/roster_upload.html", training=training, form=form)


@bp.post("/sessions/<int:session_id>/import/apply")
@trainers_only
def apply_roster_upload(session_id: int):
    """Step 2: apply the previewed file (valid rows only, or all rows or nothing) in one transaction."""
    training = _session_or_404(session_id)
    form = RosterApplyForm()
    if not form.validate_on_submit():
        abort(400)
    key = upload_key(form.upload.data)
    files = storage()
    data = files.get(key) if files.exists(key) else None
    if data is None or hashlib.sha256(data).hexdigest() != form.upload.data:
        flash(_("This file was already applied or is no longer available. Upload it again."), "warning")
        return redirect(url_for("cohorts.import_roster", session_id=training.id))
    # checked again against the database as it is now, not as it was at the preview
    plan = plan_roster(db.session, training.id, parse_roster(data))
    result = apply_roster(db.session, training, plan, form.mode.data == "all", current_user.id)
    if not result.applied:
        db.session.rollback()
        flash(ngettext("Nothing was added: %(num)s row is rejected. Correct the file, or apply only the valid rows.",
                       "Nothing was added: %(num)s rows are rejected. Correct the file, or apply only the valid rows.", result.rejected), "error")
        return _preview(training, plan, form.upload.data)
    db.session.commit()
    files.delete(key)  # the file holds personal data: it goes once applied
    passwords = write_csv(("line", "full_name", "login", "temporary_password"), [(c.line, c.full_name, c.login, c.password) for c in result.created])
    download = "data:text/csv;charset=utf-8;base64," + base64.b64encode(("\ufeff" + passwords).encode()).decode() if result.created else None
    return render_template("cohorts/roster_result.html", training=training, result=result, download=download, lang=_lang())
