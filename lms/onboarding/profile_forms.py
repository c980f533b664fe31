"""Forms of the seller profile and the onboarding rules; field errors come from the profile checks, in the user's language."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from lms.i18n import current_lang as _lang
from lms import clock
from lms.accounts.forms import MESSAGES as ACCOUNT_MESSAGES
from lms.accounts.forms import REQUIRED, province_choices
from lms.accounts.identity import InvalidValue, clean_name
from lms.onboarding.models import BUSINESS_TYPES, PRODUCT_GROUPS, SHOP_PLATFORMS
from lms.onboarding.profile_services import (
    MAX_HANDLE,
    MAX_NOTE,
    STARS,
    check_business_type,
    check_product_group,
    check_province,
    check_recognition_date,
    check_stars,
    clean_business_name,
    clean_shop_handle,
    clean_tax_code,
)

# Legal categories, named as the regulations name them; shown in the interface language
BUSINESS_TYPE_LABELS = {
    "household": ("Hộ kinh doanh", "Household business"),
    "cooperative": ("Hợp tác xã", "Cooperative"),
    "company": ("Doanh nghiệp", "Company"),
}
# the OCOP product groups (Decision 148/QĐ-TTg, 2023)
PRODUCT_GROUP_LABELS = {
    "food": ("Thực phẩm", "Food"),
    "beverages": ("Đồ uống", "Beverages"),
    "herbal": ("Thảo dược", "Herbal products"),
    "textiles_handicrafts": ("Vải, may mặc, lưu niệm và thủ công mỹ nghệ", "Textiles, garments, souvenirs and handicrafts"),
    "services_tourism": ("Dịch vụ du lịch nông thôn và điểm du lịch", "Rural tourism services and destinations"),
    "other": ("Nhóm khác", "Other"),
}
PLATFORM_LABELS = {"tiktok_shop": "TikTok Shop", "shopee": "Shopee", "lazada": "Lazada", "other": _l("Other (website, social network)")}

MESSAGES = {
    "tax_code_format": _l("Enter the tax code as 10 digits, or 10 digits, a hyphen and 3 digits for a branch."),
    "tax_code_check_digit": _l("This tax code is not valid: one of its digits is probably wrong."),
    "business_type": _l("Choose a type of business from the list."),
    "product_group": _l("Choose a product group from the list."),
    "product_stars": _l("OCOP products have 3, 4 or 5 stars."),
    "product_date_required": _l("Enter the date of recognition."),
    "product_date_future": _l("The date of recognition cannot be in the future."),
    "product_limit": _l("You have reached the largest number of products. Remove one first."),
    "shop_platform": _l("Choose a platform from the list."),
    "shop_required": _l("Enter the shop's name or web address."),
    "shop_handle_format": _l("Enter a shop name such as @mat_ong_bac_ha (letters, digits, dots, hyphens and underscores) or the shop's web address."),
    "shop_url_format": _l("This is not the web address of a shop."),
    "shop_url_platform": _l("This web address does not belong to the platform you chose."),
    "shop_duplicate": _l("This shop is already on your list."),
    "shop_limit": _l("You have reached the largest number of shops. Remove one first."),
    "rules_no_course": _l("Choose at least one course."),
    "rules_unknown_course": _l("Choose published courses only."),
    "rules_date_required": _l("Enter the date from which the rules apply."),
    "rules_date_past": _l("The date cannot be in the past."),
}


def message_for(error: InvalidValue):
    return MESSAGES.get(error.code) or ACCOUNT_MESSAGES.get(error.code, error.code)



def pick_label(labels: dict, key: str) -> str:
    """The label of a category in the interface language (unknown keys are shown as they are)."""
    pair = labels.get(key)
    return (pair[1] if _lang() == "en" else pair[0]) if pair else key


def business_type_label(key: str) -> str:
    return pick_label(BUSINESS_TYPE_LABELS, key)


def product_group_label(key: str) -> str:
    return pick_label(PRODUCT_GROUP_LABELS, key)


def platform_label(key: str) -> str:
    return str(PLATFORM_LABELS.get(key, key))


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def checked(check):
    """A WTForms validator from a check that raises InvalidValue (the same checks the services run)."""

    def validator(form, field):
        try:
            check(field.data)
        except InvalidValue as error:
            raise ValidationError(message_for(error)) from error

    return validator


class ProfileForm(FlaskForm):
    business_name = StringField(_l("Business name"), validators=[checked(clean_business_name)])
    business_type = SelectField(_l("Type of business"), validate_choice=False, validators=[checked(check_business_type)],
                                choices=lambda: [(key, business_type_label(key)) for key in BUSINESS_TYPES])
    tax_code = StringField(_l("Tax code (MST)"), validators=[Length(max=20, message=ACCOUNT_MESSAGES["too_long"]), checked(clean_tax_code)])
    province = SelectField(_l("Province or city"), choices=province_choices, validate_choice=False, validators=[checked(check_province)])


class ProductForm(FlaskForm):
    name = StringField(_l("Product name"), validators=[DataRequired(REQUIRED), checked(lambda value: clean_name(value or "", max_length=200))])
    product_group = SelectField(_l("OCOP product group"), validate_choice=False, validators=[checked(check_product_group)],
                                choices=lambda: [("", _l("Choose a group"))] + [(key, product_group_label(key)) for key in PRODUCT_GROUPS])
    stars = SelectField(_l("Stars"), coerce=_int_or_none, validate_choice=False, validators=[checked(check_stars)],
                        choices=lambda: [("", _l("Choose"))] + [(n, _l("%(num)s stars", num=n)) for n in STARS])
    recognised_on = DateField(_l("Date of recognition"), invalid_value_message=_l("Enter a date: day, month and year."))

    def validate_recognised_on(self, field):
        if field.process_errors:
            raise StopValidation()  # the date could not be read: that message is enough
        try:
            check_recognition_date(field.data, clock.now().date())
        except InvalidValue as error:
            raise ValidationError(message_for(error)) from error


class ShopForm(FlaskForm):
    platform = SelectField(_l("Platform"), validate_choice=False, validators=[DataRequired(MESSAGES["shop_platform"])],
                           choices=lambda: [(key, platform_label(key)) for key in SHOP_PLATFORMS])
    handle = StringField(_l("Shop name or web address"), validators=[DataRequired(MESSAGES["shop_required"]), Length(max=MAX_HANDLE * 2, message=ACCOUNT_MESSAGES["too_long"])])

    def validate_platform(self, field):
        if field.data not in SHOP_PLATFORMS:
            raise ValidationError(MESSAGES["shop_platform"])

    def validate_handle(self, field):
        if self.platform.data in SHOP_PLATFORMS:
            checked(lambda value: clean_shop_handle(self.platform.data, value))(self, field)


class RuleSetForm(FlaskForm):
    """Choices of courses are the published courses, set by the view."""

    courses = SelectMultipleField(_l("Required courses"), validate_choice=False, widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    applies_from = DateField(_l("Applies from"), invalid_value_message=_l("Enter a date: day, month and year."))
    note = TextAreaField(_l("Note (why the rules change)"), validators=[Length(max=MAX_NOTE, message=ACCOUNT_MESSAGES["too_long"])])

    def validate_courses(self, field):
        if not field.data:
            raise ValidationError(MESSAGES["rules_no_course"])

    def validate_applies_from(self, field):
        if field.process_errors:
            raise StopValidation()
        if field.data is None:
            raise ValidationError(MESSAGES["rules_date_required"])
        if field.data < clock.now().date():
            raise ValidationError(MESSAGES["rules_date_past"])
