"""Seller pages: the seller profile, "ready for onboarding", the public seller page and the onboarding rules (admins)."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lms.i18n import current_lang as _lang
from lms import clock
from lms.accounts.access import role_required
from lms.accounts.identity import InvalidValue
from lms.accounts.models import Role, User
from lms.accounts.provinces import PROVINCE_NAMES
from lms.catalog.forms import ActionForm
from lms.catalog.models import Course
from lms.credentials.views import _verify_limit
from lms.extensions import db, limiter
from lms.onboarding.models import OcopProduct, SellerProfile, ShopHandle
from lms.onboarding.profile_forms import (
    ProductForm,
    ProfileForm,
    RuleSetForm,
    ShopForm,
    message_for,
    platform_label,
    product_group_label,
)
from lms.onboarding.profile_services import (
    ProductInput,
    ProfileInput,
    RowNotFound,
    add_product,
    add_shop,
    create_rule_set,
    own_row,
    published_courses_for_rules,
    readiness_checklist,
    recognition_expired,
    recognition_valid_until,
    remove_product,
    remove_shop,
    rule_set_history,
    update_product,
    update_seller_profile,
)
from lms.onboarding.profiles import ensure_profile, find_seller
from lms.onboarding.status import SellerStatus, current_rule_set, seller_status

bp = Blueprint("sellers", __name__)

NEW_PRODUCT, SHOP = "new-product", "shop"



def _grace_days() -> int:
    return current_app.config["RECERTIFICATION_GRACE_DAYS"]


def public_seller_url(seller_code: str) -> str:
    return f"{current_app.config['PUBLIC_URL'].rstrip('/')}/sellers/{seller_code}"


def _my_profile() -> SellerProfile:
    """The signed-in user's profile, created with its seller code on the first visit."""
    try:
        profile = ensure_profile(db.session, current_user.id)
        db.session.commit()
    except IntegrityError:  # two first visits at once: the other request created it
        db.session.rollback()
        profile = ensure_profile(db.session, current_user.id)
    return profile


def _own_or_404(model, row_id: int):
    try:
        return own_row(db.session, model, current_user.id, row_id)
    except RowNotFound:
        abort(404)


def _refuse(field, error: InvalidValue) -> None:
    """A check that only the service could make (duplicates, limits): roll back and show it at the field."""
    db.session.rollback()
    field.errors.append(message_for(error))


def _profile_page(status: int = 200, profile_form=None, product_form=None, shop_form=None, edited: tuple | None = None):
    """The profile page; a form that failed comes back bound to what was typed, the others show saved values."""
    profile = _my_profile()
    if profile_form is None:
        profile_form = ProfileForm(formdata=None, data={"business_name": current_user.business_name, "business_type": profile.business_type,
                                                        "tax_code": profile.tax_code or "", "province": current_user.province})
    product_forms = {p.id: ProductForm(formdata=None, obj=p, prefix=f"product-{p.id}") for p in profile.products}
    if edited:
        product_forms[edited[0]] = edited[1]
    return render_template(
        "sellers/profile.html", profile=profile, profile_form=profile_form, product_forms=product_forms,
        product_form=product_form or ProductForm(formdata=None, prefix=NEW_PRODUCT), shop_form=shop_form or ShopForm(formdata=None, prefix=SHOP),
        today=clock.now().date(), valid_until=recognition_valid_until, expired=recognition_expired,
        group_label=product_group_label, platform_label=platform_label,
    ), status


def _saved(message: str, anchor: str = ""):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("sellers.profile") + anchor)


def _submit(form, save, error_field, message: str, anchor: str = "", **page):
    """Validate, save, commit and go back to the profile; or show it again with the errors next to what was typed."""
    if form.validate_on_submit():
        try:
            save()
        except InvalidValue as error:
            _refuse(error_field, error)
        else:
            return _saved(message, anchor)
    return _profile_page(422, **page)


def _product_input(form: ProductForm) -> ProductInput:
    return ProductInput(form.name.data or "", form.product_group.data or "", form.stars.data, form.recognised_on.data)


@bp.route("/account/seller", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm()
    if not form.is_submitted():
        return _profile_page()
    return _submit(form, lambda: update_seller_profile(db.session, current_user.id, ProfileInput(
        form.business_name.data or "", form.business_type.data, form.tax_code.data or "", form.province.data)),
        form.business_name, _("Your seller profile is saved."), profile_form=form)


@bp.post("/account/seller/products")
@login_required
def product_add():
    form = ProductForm(prefix=NEW_PRODUCT)
    return _submit(form, lambda: add_product(db.session, current_user.id, _product_input(form), clock.now().date()), form.name,
                   _("The product is added."), "#products", product_form=form)


@bp.post("/account/seller/products/<int:product_id>")
@login_required
def product_edit(product_id: int):
    _own_or_404(OcopProduct, product_id)
    form = ProductForm(prefix=f"product-{product_id}")
    return _submit(form, lambda: update_product(db.session, current_user.id, product_id, _product_input(form), clock.now().date()), form.name,
                   _("The product is saved."), "#products", edited=(product_id, form))


def _remove(model, row_id: int, remove, message: str, anchor: str):
    _own_or_404(model, row_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    remove(db.session, current_user.id, row_id)
    return _saved(message, anchor)


@bp.post("/account/seller/products/<int:product_id>/remove")
@login_required
def product_remove(product_id: int):
    return _remove(OcopProduct, product_id, remove_product, _("The product is removed."), "#products")


@bp.post("/account/seller/shops")
@login_required
def shop_add():
    form = ShopForm(prefix=SHOP)
    return _submit(form, lambda: add_shop(db.session, current_user.id, form.platform.data, form.handle.data), form.handle,
                   _("The shop is added."), "#shops", shop_form=form)


@bp.post("/account/seller/shops/<int:shop_id>/remove")
@login_required
def shop_remove(shop_id: int):
    return _remove(ShopHandle, shop_id, remove_shop, _("The shop is removed."), "#shops")


@bp.get("/ready")
@login_required
def ready():
    """Ready for onboarding: the state, what to do next per required course, certificates, the public link and its QR code."""
    from lms.credentials.pdf import qr_data_uri  # WeasyPrint comes with it: load it only when this page is asked for

    profile = _my_profile()
    status = seller_status(db.session, current_user.id, clock.now(), _grace_days())
    checklist = readiness_checklist(db.session, status)
    link = public_seller_url(profile.seller_code)
    return render_template(
        "sellers/ready.html", profile=profile, status=status, checklist=checklist, titles={item.course_slug: item.title(_lang()) for item in checklist},
        link=link, qr=qr_data_uri(link), lang=_lang(), issuer_name=current_app.config["ISSUER_NAME"], issuer_email=current_app.config["ISSUER_EMAIL"],
    )


def _public_view(profile: SellerProfile, status: SellerStatus) -> dict:
    """What anyone may know of a seller: no email, phone, tax code, scores, nor which step is missing."""
    user = db.session.get(User, profile.user_id)
    courses = []
    for item in readiness_checklist(db.session, status):
        certificate = item.certificate if item.certified else None
        courses.append({"title_vi": item.title_vi, "title_en": item.title_en, "certified": item.certified,
                        "code": certificate.code if certificate else None, "valid_until": certificate.valid_until if certificate else None})
    return {"seller_code": profile.seller_code, "business_name": user.business_name, "province": PROVINCE_NAMES.get(user.province, ""),
            "state": status.state, "expires_on": status.expires_on, "courses": courses, "rule_set_version": status.rule_set.version,
            "checked_at": status.checked_at}


@bp.get("/sellers/<code>")
@limiter.limit(_verify_limit)
def public(code: str):
    profile = find_seller(db.session, code)
    now = clock.now()
    if profile is None:
        # the same work as for a known seller, so response times do not tell which codes exist
        seller_status(db.session, -1, now, _grace_days())
        return render_template("sellers/public.html", found=None, code=code[:40]), 404
    status = seller_status(db.session, profile.user_id, now, _grace_days())
    return render_template("sellers/public.html", found=_public_view(profile, status), code=profile.seller_code)


@bp.route("/admin/onboarding-rules", methods=["GET", "POST"])
@role_required(Role.ADMIN.value)
def rules():
    """The rules in force, every version, and a form for the next version (versions are never edited or deleted)."""
    today = clock.now().date()
    current = current_rule_set(db.session, today)
    form = RuleSetForm()
    form.courses.choices = [(c.slug, c.title(_lang())) for c in published_courses_for_rules(db.session)]
    if not form.is_submitted():
        form.courses.data, form.applies_from.data = list(current.required_courses), today
    elif form.validate():
        try:
            rule_set = create_rule_set(db.session, current_user.id, form.courses.data, form.applies_from.data, form.note.data or "", today)
        except InvalidValue as error:
            _refuse(form.applies_from if error.code.startswith("rules_date") else form.courses, error)
        except IntegrityError:  # another admin saved the same version number a moment ago
            db.session.rollback()
            flash(_("Another version was saved at the same time. Check the history and try again."), "error")
            return redirect(url_for("sellers.rules"))
        else:
            db.session.commit()
            flash(_("Version %(version)s of the onboarding rules is saved. It applies from %(date)s.", version=rule_set.version,
                    date=format_date(rule_set.applies_from)), "success")
            return redirect(url_for("sellers.rules"))
    history = rule_set_history(db.session, today)
    titles = {c.slug: c.title(_lang()) for c in db.session.scalars(select(Course))}
    authors = {u.id: u.full_name for u in db.session.scalars(select(User).where(User.id.in_({e.rule_set.created_by for e in history})))}
    return render_template("sellers/rules.html", current=current, history=history, form=form, titles=titles, authors=authors,
                           today=today), 422 if form.errors else 200
