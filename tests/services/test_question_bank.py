"""Question bank services: questions of every kind saved from form data, retiring, GIFT preview and apply, audit."""
from __future__ import annotations

import random

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from lms.assessment.bank import fingerprint, from_data
from lms.assessment.models import AttemptItem, Question
from lms.assessment.services import save_answers, start_attempt, submit_attempt
from lms.audit.models import AuditEvent
from lms.catalog.models import Module
from lms.catalog.services import enrol_learner
from lms.content.gift import Choice, check_question, parse_gift
from lms.db import utcnow
from lms.questionbank.forms import issue_message, question_form
from lms.questionbank.services import (
    ADDED,
    CHANGED,
    MISSING,
    UNCHANGED,
    EditConflict,
    PlanOutdated,
    PlanRejected,
    QuestionRejected,
    apply_gift,
    create_question,
    export_gift,
    plan_gift,
    read_gift_upload,
    restore_question,
    retire_question,
    update_question,
)
from tests.conftest import make_course, make_questions, make_user

# What a trainer types in each form (the module is added by `form_data`); one question per kind.
FORM_DATA = {
    "single": {
        "title": "storage-place", "text_vi": "Mật ong nên bảo quản ở đâu?", "text_en": "Where should honey be stored?",
        "choices-0-weight": "100", "choices-0-text_vi": "Nơi khô mát", "choices-0-feedback_vi": "Đúng, tránh ẩm.",
        "choices-0-text_en": "A cool dry place", "choices-0-feedback_en": "Right, away from damp.",
        "choices-1-weight": "0", "choices-1-text_vi": "Ngoài nắng", "choices-1-text_en": "In the sun",
        "choices-2-weight": "-50", "choices-2-text_vi": "Trong tủ đông", "choices-2-text_en": "In the freezer",
    },
    "multiple": {
        "title": "label-content", "text_vi": "Nhãn phải có những gì?", "text_en": "What must the label show?",
        "choices-0-weight": "50", "choices-0-text_vi": "Tên sản phẩm", "choices-0-text_en": "Product name",
        "choices-1-weight": "50", "choices-1-text_vi": "Hạn sử dụng", "choices-1-text_en": "Expiry date",
        "choices-2-weight": "-100", "choices-2-text_vi": "Số điện thoại riêng", "choices-2-text_en": "A private phone number",
    },
    "truefalse": {
        "title": "health-claims", "text_vi": "Có thể ghi \"chữa bệnh\" trên nhãn thực phẩm.", "text_en": "A food label may say \"cures disease\".",
        "truth": "false", "true_feedback_vi": "Không được quảng cáo chữa bệnh.", "false_feedback_vi": "Đúng rồi.",
        "true_feedback_en": "Health claims are not allowed.", "false_feedback_en": "Right.",
    },
    "short": {
        "title": "weight-unit", "text_vi": "Đơn vị đo khối lượng viết tắt là gì?", "text_en": "What is the short form of kilogram?",
        "answers_vi-0-text": "kg", "answers_vi-0-weight": "100", "answers_vi-1-text": "ki lô gam", "answers_vi-1-weight": "100",
        "answers_vi-2-text": "gam", "answers_vi-2-weight": "0", "answers_vi-2-feedback": "Gam nhỏ hơn.",
        "answers_en-0-text": "kg", "answers_en-0-weight": "100",
    },
    "numerical": {
        "title": "packing-hours", "text_vi": "Hạn đóng gói đơn livestream là bao nhiêu giờ?", "text_en": "Within how many hours must a live order be packed?",
        "numeric-0-value": "24", "numeric-0-tolerance": "2", "numeric-0-weight": "100", "numeric-0-feedback_vi": "Đúng.", "numeric-0-feedback_en": "Right.",
        "numeric-1-minimum": "12,5", "numeric-1-maximum": "48", "numeric-1-weight": "50",
    },
    "matching": {
        "title": "platform-types", "text_vi": "Ghép nền tảng với loại hình.", "text_en": "Match each platform with its type.",
        "pairs-0-prompt_vi": "Shopee", "pairs-0-match_vi": "Sàn thương mại điện tử", "pairs-0-prompt_en": "Shopee", "pairs-0-match_en": "Marketplace",
        "pairs-1-prompt_vi": "TikTok", "pairs-1-match_vi": "Mạng xã hội video", "pairs-1-prompt_en": "TikTok", "pairs-1-match_en": "Video network",
        "pairs-2-prompt_vi": "Zalo", "pairs-2-match_vi": "Ứng dụng nhắn tin", "pairs-2-prompt_en": "Zalo", "pairs-2-match_en": "Messaging app",
    },
    "missing": {
        "title": "pure-honey", "choice_kind": "single", "text_vi": "Mật ong", "text_after_vi": "được bán với giá cao nhất.",
        "text_en": "", "text_after_en": "honey sells at the highest price.",
        "choices-0-weight": "100", "choices-0-text_vi": "nguyên chất", "choices-0-text_en": "Pure",
        "choices-1-weight": "0", "choices-1-text_vi": "pha đường", "choices-1-text_en": "Sugared",
    },
}
KINDS = {"single": "single", "multiple": "multiple", "truefalse": "truefalse", "short": "short", "numerical": "numerical",
         "matching": "matching", "missing": "single"}

BANK_VI = """// Mật ong cơ bản
$CATEGORY: basics

::q-storage:: Mật ong nên bảo quản ở đâu? {=Nơi khô mát ~Ngoài nắng}

::q-label:: Nhãn phải có hạn sử dụng. {T}

$CATEGORY: selling

::q-hours:: Đóng gói trong bao nhiêu giờ? {#24:2}

::q-platform:: Ghép nền tảng. {=Shopee -> Sàn =TikTok -> Video =Zalo -> Nhắn tin}
"""
BANK_EN = """$CATEGORY: basics

::q-storage:: Where should honey be stored? {=A cool dry place ~In the sun}

::q-label:: The label must show the expiry date. {T}

$CATEGORY: selling

::q-hours:: Pack within how many hours? {#24:2}

::q-platform:: Match the platforms. {=Shopee -> Marketplace =TikTok -> Video =Zalo -> Messaging}
"""


def form_data(session, course, form_type: str, **changes) -> MultiDict:
    module = session.scalar(select(Module).where(Module.course_id == course.id).order_by(Module.position))
    return MultiDict({"module": str(module.id), **FORM_DATA[form_type], **changes})


def built_from_form(app, session, course, form_type: str, **changes):
    """The (vi, en) questions a form sends, through the real form class."""
    modules = list(session.scalars(select(Module).where(Module.course_id == course.id).order_by(Module.position)))
    with app.test_request_context(method="POST", data=form_data(session, course, form_type, **changes)):
        form = question_form(form_type, modules, "vi")
        assert form.validate(), form.errors
        built = form.build()
        assert built is not None, [leaf.errors for leaf in form]
        return form.module.data, built


def gift(lang: str, text: str, name: str | None = None):
    upload, issues = read_gift_upload(lang, name or f"honey-basics.{lang}.gift", text)
    assert not issues
    return upload


def words(app, issues) -> list[str]:
    """The issues as a trainer reads them (in the default language)."""
    with app.test_request_context():
        return [issue_message(issue) for issue in issues]


def actions(session) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


@pytest.fixture
def course(session):
    return make_course(session)


@pytest.fixture
def trainer(session):
    return make_user(session, role="trainer")


@pytest.mark.parametrize("form_type", list(FORM_DATA))
def test_every_kind_is_created_from_its_form(app, session, course, trainer, form_type):
    module_id, (vi, en) = built_from_form(app, session, course, form_type)
    question = create_question(session, course, trainer.id, FORM_DATA[form_type]["title"], module_id, vi, en)
    session.commit()
    stored = session.get(Question, question.id)
    assert stored.kind == KINDS[form_type] and stored.revision == 1 and not stored.is_retired
    assert stored.data_vi["category"] == "basics" and stored.data_en["category"] == "basics"
    assert stored.content_hash == fingerprint(stored.data_vi, stored.data_en)
    for data in (stored.data_vi, stored.data_en):
        assert check_question(from_data(data)) == []
    assert (stored.data_vi["text_after"] is not None) == (form_type == "missing")
    assert actions(session) == ["question.created"]


def test_form_weights_and_numbers_are_stored_exactly(app, session, course, trainer):
    _, (vi, en) = built_from_form(app, session, course, "numerical")
    assert [(a.minimum, a.maximum, a.fraction, a.value, a.tolerance) for a in vi.numeric] == [(22, 26, 1.0, 24, 2), (12.5, 48, 0.5, None, None)]
    assert en.numeric[0].feedback == "Right."
    _, (vi, en) = built_from_form(app, session, course, "short")
    assert [c.text for c in vi.choices] == ["kg", "ki lô gam", "gam"] and [c.text for c in en.choices] == ["kg"]
    _, (vi, _en) = built_from_form(app, session, course, "multiple")
    assert [c.fraction for c in vi.choices] == [0.5, 0.5, -1.0]


def test_english_with_other_answers_is_refused(app, session, course, trainer):
    # the English translation forgot the third answer: the two versions would not score alike
    module_id, (vi, en) = built_from_form(app, session, course, "single", **{"choices-2-text_en": ""})
    with pytest.raises(QuestionRejected) as rejected:
        create_question(session, course, trainer.id, "storage-place", module_id, vi, en)
    assert [issue.code for issue in rejected.value.issues] == ["shape_mismatch"]
    assert session.scalar(select(func.count()).select_from(Question)) == 0


def test_an_unreachable_full_mark_is_refused_with_the_checker_issue(app, session, course, trainer):
    module_id, (vi, en) = built_from_form(app, session, course, "multiple", **{"choices-1-weight": "30"})
    with pytest.raises(QuestionRejected) as rejected:
        create_question(session, course, trainer.id, "label-content", module_id, vi, en)
    messages = words(app, rejected.value.issues)
    assert any("80%" in message for message in messages) and len(messages) == 2  # vi and en


def test_a_title_is_unique_within_the_course_and_slug_like(app, session, course, trainer):
    module_id, (vi, en) = built_from_form(app, session, course, "truefalse")
    create_question(session, course, trainer.id, "health-claims", module_id, vi, en)
    for title, code in (("health-claims", "title_taken"), ("Health claims", "title_format")):
        with pytest.raises(QuestionRejected) as rejected:
            create_question(session, course, trainer.id, title, module_id, vi, en)
        assert rejected.value.issues[0].code == code


def test_a_save_over_a_newer_revision_is_a_conflict(app, session, course, trainer):
    module_id, (vi, en) = built_from_form(app, session, course, "truefalse")
    question = create_question(session, course, trainer.id, "health-claims", module_id, vi, en)
    session.commit()
    module_id, (vi2, en2) = built_from_form(app, session, course, "truefalse", text_vi="Nhãn được ghi \"chữa bệnh\".")
    update_question(session, question, trainer.id, module_id, vi2, en2, expected_revision=1)
    session.commit()
    assert question.revision == 2 and question.data_vi["text"] == "Nhãn được ghi \"chữa bệnh\"."
    with pytest.raises(EditConflict) as conflict:
        update_question(session, question, trainer.id, module_id, vi, en, expected_revision=1)
    assert conflict.value.revision == 2
    session.rollback()
    assert session.get(Question, question.id).data_vi["text"] == "Nhãn được ghi \"chữa bệnh\"."
    assert actions(session) == ["question.created", "question.updated"]


def test_retiring_keeps_past_attempts_and_the_question_is_never_drawn_again(app, session, course, trainer):
    make_questions(session, course, kinds=("single", "truefalse"))
    course.questions_per_attempt = 4
    learner = make_user(session)
    enrol_learner(session, learner.id, course)
    session.commit()
    now = utcnow()
    attempt = start_attempt(session, learner.id, course, "vi", now)
    save_answers(session, attempt, {item.position: 1 if item.question_data["kind"] == "single" else True for item in attempt.items}, now)  # wrong: more tries
    submit_attempt(session, attempt, now)
    session.commit()
    before = {item.question_id: item.question_data for item in attempt.items}

    retired = session.scalar(select(Question).where(Question.title == "basics-single"))
    edited = session.scalar(select(Question).where(Question.title == "selling-truefalse"))
    assert retire_question(session, retired, trainer.id) and not retire_question(session, retired, trainer.id)
    _, (vi, en) = built_from_form(app, session, course, "truefalse", text_vi="Câu hỏi đã sửa.")
    update_question(session, edited, trainer.id, edited.module_id, vi, en, expected_revision=edited.revision)
    session.commit()

    session.expire_all()
    items = session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt.id)).all()
    assert {item.question_id: item.question_data for item in items} == before  # the snapshot, untouched
    assert attempt.score is not None
    course.max_attempts = 100
    session.commit()
    for seed in range(10):
        fresh = start_attempt(session, learner.id, course, "vi", utcnow(), rng=random.Random(seed))
        assert retired.id not in {item.question_id for item in fresh.items}
        assert len(fresh.items) == 3
        submit_attempt(session, fresh, utcnow())
        session.commit()
    assert restore_question(session, retired, trainer.id)
    assert actions(session) == ["question.retired", "question.updated", "question.restored"]


def bank(session, course, trainer):
    """The bank after a first upload of both files."""
    uploads = [gift("vi", BANK_VI), gift("en", BANK_EN)]
    plan = plan_gift(session, course, uploads)
    apply_gift(session, course, trainer.id, uploads, set(), plan.digest)
    session.commit()
    return {q.title: q for q in session.scalars(select(Question))}


SECOND_VI = BANK_VI.replace("Mật ong nên bảo quản ở đâu?", "Nên cất mật ong ở đâu?").replace(
    "::q-hours:: Đóng gói trong bao nhiêu giờ? {#24:2}", "::q-new:: Mật ong có hết hạn không? {F}")
SECOND_EN = BANK_EN.replace("::q-hours:: Pack within how many hours? {#24:2}", "::q-new:: Does honey expire? {F}")


def test_a_gift_preview_counts_the_changes_and_writes_nothing(session, course, trainer):
    first = bank(session, course, trainer)
    events = actions(session)
    plan = plan_gift(session, course, [gift("vi", SECOND_VI), gift("en", SECOND_EN)])
    assert plan.issues == []
    assert plan.counts == {ADDED: 1, CHANGED: 1, UNCHANGED: 2, MISSING: 1}
    rows = {row.title: row for row in plan.rows}
    assert rows["q-storage"].changes == ("vi",) and "Nên cất mật ong" in rows["q-storage"].after["vi"]
    assert "Mật ong nên bảo quản" in rows["q-storage"].before["vi"]
    assert rows["q-hours"].outcome == MISSING and rows["q-new"].outcome == ADDED
    session.commit()
    session.expire_all()
    assert {q.title: (q.revision, q.is_retired, q.data_vi["text"]) for q in session.scalars(select(Question))} == {
        t: (q.revision, q.is_retired, q.data_vi["text"]) for t, q in first.items()}
    assert actions(session) == events


def test_applying_an_upload_is_one_transaction(session, course, trainer):
    bank(session, course, trainer)
    uploads = [gift("vi", SECOND_VI), gift("en", SECOND_EN)]
    digest = plan_gift(session, course, uploads).digest
    apply_gift(session, course, trainer.id, uploads, {"q-hours"}, digest)
    session.rollback()  # the caller's rollback undoes every row and the audit entry together
    assert session.scalar(select(Question).where(Question.title == "q-new")) is None
    assert not session.scalar(select(Question).where(Question.title == "q-hours")).is_retired
    assert actions(session) == ["question_bank.gift_applied"]

    plan = apply_gift(session, course, trainer.id, uploads, {"q-hours", "q-storage"}, digest)
    session.commit()
    questions = {q.title: q for q in session.scalars(select(Question))}
    assert questions["q-new"].kind == "truefalse" and questions["q-new"].data_en["text"] == "Does honey expire?"
    assert questions["q-storage"].revision == 2 and questions["q-storage"].data_vi["text"] == "Nên cất mật ong ở đâu?"
    assert questions["q-label"].revision == 1
    assert questions["q-hours"].is_retired and plan.retired == ["q-hours"]  # only a missing question can be retired
    event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event.action == "question_bank.gift_applied"
    assert (event.detail["added"], event.detail["changed"], event.detail["unchanged"], event.detail["retired"]) == (1, 1, 2, 1)


def test_an_outdated_preview_is_not_applied(app, session, course, trainer):
    first = bank(session, course, trainer)
    uploads = [gift("vi", SECOND_VI), gift("en", SECOND_EN)]
    digest = plan_gift(session, course, uploads).digest
    retire_question(session, first["q-label"], trainer.id)  # someone changes the bank meanwhile
    session.commit()
    with pytest.raises(PlanOutdated):
        apply_gift(session, course, trainer.id, uploads, set(), digest)
    with pytest.raises(PlanOutdated):  # other text than the one previewed
        apply_gift(session, course, trainer.id, [gift("vi", SECOND_VI + "\n::q-x:: X? {T}\n")], set(), plan_gift(session, course, uploads).digest)


def test_a_gift_file_with_errors_lists_file_and_line(app, session, course, trainer):
    broken = "$CATEGORY: basics\n\n::q-a:: Câu hỏi? {=A ~B\n\n::q-b:: Đúng không? {T}\n"
    plan = plan_gift(session, course, [gift("vi", broken, "honey.vi.gift")])
    assert words(app, plan.issues) == ["honey.vi.gift:3: answer block '{' is never closed with '}'"]
    checked = "$CATEGORY: basics\n\n::q-a:: Câu hỏi? {=A ~B}\n\n$CATEGORY: nowhere\n\n::q-b:: Đúng không? {T}\n\n::q-a:: Chọn? {~A ~B}\n"
    plan = plan_gift(session, course, [gift("vi", checked, "honey.vi.gift")])
    messages = words(app, plan.issues)
    assert messages[0].startswith("honey.vi.gift:7: ") and "nowhere" in messages[0]
    assert messages[1].startswith("honey.vi.gift:9: ") and "q-a" in messages[1]
    assert plan.rows == []
    with pytest.raises(PlanRejected):
        apply_gift(session, course, trainer.id, [gift("vi", checked, "honey.vi.gift")], set(), plan.digest)
    assert session.scalar(select(func.count()).select_from(Question)) == 0


def test_files_must_pair_by_title_and_answers(session, course, trainer):
    en = BANK_EN.replace("{=A cool dry place ~In the sun}", "{=A cool dry place ~In the sun ~In the fridge}").replace("::q-label::", "::q-labels::")
    plan = plan_gift(session, course, [gift("vi", BANK_VI), gift("en", en)])
    assert sorted(issue.code for issue in plan.issues) == ["no_english", "no_vietnamese", "shape_mismatch_title"]


def test_one_language_is_paired_with_the_stored_other_language(session, course, trainer):
    bank(session, course, trainer)
    plan = plan_gift(session, course, [gift("en", BANK_EN.replace("Pack within how many hours?", "How many hours to pack?"))])
    rows = {row.title: row for row in plan.rows}
    assert plan.counts == {ADDED: 0, CHANGED: 1, UNCHANGED: 3, MISSING: 0} and rows["q-hours"].changes == ("en",)
    apply_gift(session, course, trainer.id, [gift("en", BANK_EN.replace("Pack within how many hours?", "How many hours to pack?"))], set(), plan.digest)
    session.commit()
    hours = session.scalar(select(Question).where(Question.title == "q-hours"))
    assert hours.data_en["text"] == "How many hours to pack?" and hours.data_vi["text"] == "Đóng gói trong bao nhiêu giờ?"
    # other answers than the stored Vietnamese ones, or a question the bank does not have
    plan = plan_gift(session, course, [gift("en", BANK_EN.replace("{#24:2}", "{#48}") + "\n::q-only:: Only English? {T}\n")])
    assert sorted((issue.code, issue.line) for issue in plan.issues) == [("no_vietnamese", 13), ("stored_shape_mismatch", 9)]


def test_the_downloaded_bank_uploads_back_unchanged(session, course, trainer):
    bank(session, course, trainer)
    uploads = [gift("vi", export_gift(session, course, "vi")), gift("en", export_gift(session, course, "en"))]
    assert parse_gift(uploads[0].text)[0].category == "basics"
    assert plan_gift(session, course, uploads).counts == {ADDED: 0, CHANGED: 0, UNCHANGED: 4, MISSING: 0}


def test_uploads_must_be_utf8_gift_or_text_files(session):
    assert read_gift_upload("vi", "bank.docx", b"x")[1][0].code == "file_type"
    assert read_gift_upload("vi", "bank.gift", "Câu hỏi".encode("utf-16"))[1][0].code == "not_utf8"
    upload, issues = read_gift_upload("vi", "C:\\Users\\lan\\bank.TXT", "\ufeff::a:: b {T}\r\n".encode())
    assert issues == [] and upload.name == "bank.TXT" and upload.text == "::a:: b {T}\n"


def test_a_choice_weight_outside_the_range_is_an_issue(app, session, course, trainer):
    module_id, (vi, en) = built_from_form(app, session, course, "single", **{"choices-2-weight": "-150"})
    with pytest.raises(QuestionRejected) as rejected:
        create_question(session, course, trainer.id, "storage-place", module_id, vi, en)
    assert "-150%" in words(app, rejected.value.issues)[0]
    assert vi.choices[2] == Choice("Trong tủ đông", -1.5)
