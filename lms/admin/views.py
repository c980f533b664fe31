"""Admin views: list and search users, change a user's role."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from lms.accounts.access import role_required
from lms.accounts.forms import ROLE_LABELS, RoleForm
from lms.accounts.models import Role, User
from lms.accounts.services import search_users, set_role
from lms.admin import bp
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
        set_role(db.session, user, form.role.data)
        db.session.commit()
        flash(_("%(name)s is now: %(role)s.", name=user.full_name, role=ROLE_LABELS[user.role]), "success")
        return redirect(url_for("admin.user_detail", user_id=user.id))
    return render_template("admin/user_detail.html", user=user, form=form, role_labels=ROLE_LABELS)
