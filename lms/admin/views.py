"""Admin views: list and search users, change a user's role."""
from __future__ import annotations

import json

from flask import Response, abort, current_app, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from lms.accounts.access import role_required
from lms.accounts.forms import ROLE_LABELS, RoleForm
from lms.accounts.models import Role, User
from lms.accounts.services import search_users, set_role
from lms.admin import bp
from lms.audit.services import audit_query, record
from lms.reports.services import csv_text
from lms.core.pagination import paginate
from lms.core.templating import page_number
from lms.extensions import db


@bp.get("/users")
@role_required(Role.ADMIN.value)
def users():
    query = request.args.get("q", "")[:100]
    role = request.args.get("role") if request.args.get("role") in ROLE_LABELS else None
    page = paginate(db.session, search_users(db.session, query, role), page_number(request.args.get("page")), current_app.config["PAGE_SIZE"])
    return render_template("admin/users.html", page=page, query=query, role=role, role_labels=ROLE_LABELS)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN.value)
def user_detail(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = RoleForm(role=user.role)
    if form.validate_on_submit():
        before = user.role
        set_role(db.session, user, form.role.data)
        record(db.session, current_user.id, "user.role_changed", "user", user.id, before=before, after=user.role)
        db.session.commit()
        flash(_("%(name)s is now: %(role)s.", name=user.full_name, role=ROLE_LABELS[user.role]), "success")
        return redirect(url_for("admin.user_detail", user_id=user.id))
    return render_template("admin/user_detail.html", user=user, form=form, role_labels=ROLE_LABELS)


@bp.get("/audit")
@role_required(Role.ADMIN.value)
def audit():
    """The audit log, newest first; filter by the start of the action (e.g. "lesson.") and the kind of object."""
    action = request.args.get("action", "")[:60]
    object_type = request.args.get("object", "")[:40]
    page = paginate(db.session, audit_query(action, None, object_type), page_number(request.args.get("page")), current_app.config["PAGE_SIZE"])
    actors = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_({e.actor_id for e in page.items if e.actor_id})))}
    return render_template("admin/audit.html", page=page, actors=actors, action=action, object_type=object_type)


@bp.get("/audit.csv")
@role_required(Role.ADMIN.value)
def audit_csv():
    """The filtered audit log as CSV (UTF-8 with BOM); exporting it is itself recorded."""
    action = request.args.get("action", "")[:60]
    object_type = request.args.get("object", "")[:40]
    events = list(db.session.scalars(audit_query(action, None, object_type).limit(100_000)))
    record(db.session, current_user.id, "audit.exported", "audit", "", rows=len(events), action_filter=action, object_filter=object_type)
    db.session.commit()
    rows = [("at_utc", "actor_id", "action", "object_type", "object_id", "detail")]
    rows += [(e.at.isoformat(timespec="seconds"), e.actor_id or "", e.action, e.object_type, e.object_id, json.dumps(e.detail, ensure_ascii=False))
             for e in events]
    return Response(stream_with_context(csv_text(rows)), mimetype="text/csv",
                    headers={"Content-Type": "text/csv; charset=utf-8", "Content-Disposition": 'attachment; filename="audit-log.csv"'})
