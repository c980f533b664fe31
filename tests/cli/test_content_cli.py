"""`flask lms check-content`, `import-content` and `export-content` on the shipped curriculum and on small course folders."""
import shutil
from pathlib import Path

import pytest
from conftest import wipe
from content_factory import REPO, copy_repository_content, lesson_file, write_course, write_lesson
from PIL import Image
from sqlalchemy import func, select

from lms.assessment.models import Question
from lms.catalog.models import Course, CourseAsset, CourseVersion, Lesson, Module
from lms.content.gift import parse_gift
from lms.extensions import db

SHIPPED = ["livestream-selling", "packaging-labelling", "platform-compliance", "seller-operations"]
CONTENT_TABLES = (Course, CourseVersion, Module, Lesson, CourseAsset, Question)


def invoke(runner, *args):
    return runner.invoke(args=["lms", *[str(a) for a in args]])


def import_files(runner, root: Path, *extra):
    return invoke(runner, "import-content", root / "courses", root / "quizzes", *extra)


def dump_tables(app) -> dict:
    """Every column of every content row: equal dumps mean nothing was written."""
    with app.app_context():
        dump = {}
        for model in CONTENT_TABLES:
            table = model.__table__
            dump[table.name] = [tuple(row) for row in db.session.execute(select(table).order_by(*table.primary_key.columns))]
        return dump


def curriculum(app) -> dict:
    """What a learner sees of every course, without database ids: published outline, lesson texts, active questions."""
    with app.app_context():
        session = db.session
        result = {}
        for course in session.scalars(select(Course).order_by(Course.slug)):
            modules = session.scalars(select(Module).where(Module.course_id == course.id, Module.is_published).order_by(Module.position)).all()
            module_slugs = {m.id: m.slug for m in modules}
            result[course.slug] = {
                "course": (course.track, course.version, course.title_vi, course.title_en, course.summary_vi, course.summary_en,
                           course.estimated_hours, course.pass_mark, course.certificate_validity_months,
                           course.required_for_onboarding, list(course.prerequisites), course.questions_per_attempt),
                "modules": [
                    (m.slug, m.position, m.title_vi, m.title_en, [
                        (l.slug, l.position, l.title_vi, l.title_en, l.body_vi, l.body_en, l.html_vi, l.html_en, l.minutes, l.as_of, l.video_url)
                        for l in session.scalars(select(Lesson).where(Lesson.module_id == m.id, Lesson.is_published).order_by(Lesson.position))
                    ])
                    for m in modules
                ],
                "questions": [
                    (q.title, q.kind, module_slugs.get(q.module_id), q.data_vi, q.data_en)
                    for q in session.scalars(select(Question).where(Question.course_id == course.id, Question.is_retired.is_(False)).order_by(Question.position))
                ],
                "assets": sorted((a.name, a.sha256, a.width, a.height) for a in session.scalars(select(CourseAsset).where(CourseAsset.course_id == course.id))),
            }
        return result


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def course_slugs(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Course.slug).order_by(Course.slug)))


def lesson_row(app, module_slug: str, lesson_slug: str):
    with app.app_context():
        lesson = db.session.scalar(select(Lesson).join(Module).where(Module.slug == module_slug, Lesson.slug == lesson_slug))
        db.session.expunge(lesson)
        return lesson


def versions(app, slug: str) -> list[CourseVersion]:
    with app.app_context():
        rows = db.session.scalars(select(CourseVersion).join(Course).where(Course.slug == slug).order_by(CourseVersion.number)).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def append(path: Path, text: str) -> int:
    """Append text after a blank line; returns the line number where it starts."""
    content = path.read_text(encoding="utf-8").rstrip("\n") + "\n\n"
    line = content.count("\n") + 1
    path.write_text(content + text, encoding="utf-8")
    return line


# --- check-content ---


def test_check_content_passes_on_the_shipped_curriculum(runner):
    result = invoke(runner, "check-content")

    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK: 4 courses")


def test_check_content_fails_on_a_broken_copy_and_lists_the_problem_as_file_and_line(runner, tmp_path):
    courses, quizzes = copy_repository_content(tmp_path)
    lesson = sorted((courses / "seller-operations").glob("02-*/01-*.en.md"))[0]
    lesson.write_text("No front matter at all.\n", encoding="utf-8")

    result = invoke(runner, "check-content", courses, quizzes)

    assert result.exit_code != 0
    assert f"{lesson}:1: the lesson must start with '---' front matter" in result.output
    assert "1 problem(s) in 4 course(s)" in result.output


def test_check_content_reports_a_bank_for_a_course_that_does_not_exist(runner, tmp_path):
    write_course(tmp_path, "demo-course")
    (tmp_path / "quizzes" / "ghost-course.vi.gift").write_text("::g-1:: Câu? {T}\n", encoding="utf-8")

    result = invoke(runner, "check-content", tmp_path / "courses", tmp_path / "quizzes")

    assert result.exit_code != 0
    assert f"{tmp_path / 'quizzes' / 'ghost-course.vi.gift'}:1: question bank for unknown course 'ghost-course'" in result.output


def test_check_content_refuses_a_path_that_does_not_exist(runner, tmp_path):
    result = invoke(runner, "check-content", tmp_path / "nowhere")

    assert result.exit_code != 0
    assert "no such file or folder" in result.output


def test_a_missing_english_question_is_a_problem_named_at_the_vietnamese_question(runner, tmp_path):
    write_course(tmp_path, "demo-course")
    en_bank = tmp_path / "quizzes" / "demo-course.en.gift"
    en_bank.write_text(en_bank.read_text(encoding="utf-8").replace("::demo-course-shipping-2::", "::demo-course-shipping-9::"), encoding="utf-8")
    vi_bank = tmp_path / "quizzes" / "demo-course.vi.gift"
    vi_line = next(q.line for q in parse_gift(vi_bank.read_text(encoding="utf-8")) if q.title == "demo-course-shipping-2")

    result = invoke(runner, "check-content", tmp_path / "courses", tmp_path / "quizzes")

    assert result.exit_code != 0
    assert f"{vi_bank}:{vi_line}: question 'demo-course-shipping-2' has no English version" in result.output
    assert "question 'demo-course-shipping-9' has no Vietnamese version" in result.output


def test_vi_and_en_questions_with_the_same_title_must_have_the_same_answer_key(runner, tmp_path):
    write_course(tmp_path, "demo-course")
    en_bank = tmp_path / "quizzes" / "demo-course.en.gift"
    en_bank.write_text(en_bank.read_text(encoding="utf-8").replace("best-before date. {T####", "best-before date. {F####"), encoding="utf-8")

    result = invoke(runner, "check-content", tmp_path / "courses", tmp_path / "quizzes")

    assert result.exit_code != 0
    assert "does not have the same answers (kind, weights, pairs) as in Vietnamese" in result.output


# --- import-content: idempotence, dry run ---


def test_import_content_creates_the_four_shipped_courses(runner, app):
    result = invoke(runner, "import-content")

    assert result.exit_code == 0, result.output
    for slug in SHIPPED:
        assert f"{slug}: created (version 1)" in result.output
    assert course_slugs(app) == SHIPPED
    assert count(app, CourseVersion) == 4
    assert count(app, Lesson) >= 4 * 12
    assert count(app, Question) >= 4 * 30


def test_importing_the_same_files_again_says_unchanged_and_writes_nothing(runner, app):
    assert invoke(runner, "import-content").exit_code == 0
    before = dump_tables(app)

    result = invoke(runner, "import-content")

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [f"{slug}: unchanged (version 1)" for slug in SHIPPED]
    assert dump_tables(app) == before


def test_dry_run_on_an_empty_database_writes_nothing(runner, app):
    result = invoke(runner, "import-content", "--dry-run")

    assert result.exit_code == 0, result.output
    for slug in SHIPPED:
        assert f"{slug}: would be created" in result.output
    assert all(rows == [] for rows in dump_tables(app).values())


def test_dry_run_of_a_change_reports_it_and_writes_nothing(runner, app, tmp_path):
    write_course(tmp_path, "demo-course")
    assert import_files(runner, tmp_path).exit_code == 0
    before = dump_tables(app)
    write_lesson(tmp_path / "courses" / "demo-course" / "01-basics", 2, "prices", "vi", lesson_file("Giá mới", "## Giá\n\nGiá đã đổi.\n"))

    result = import_files(runner, tmp_path, "--dry-run")

    assert result.exit_code == 0, result.output
    assert "demo-course: would be updated (version 2)" in result.output
    assert "lesson basics/prices changed" in result.output
    assert dump_tables(app) == before


def test_dry_run_stores_no_asset_file(runner, app, tmp_path):
    folder = write_course(tmp_path, "demo-course")
    (folder / "assets").mkdir()
    Image.new("RGB", (32, 16), "white").save(folder / "assets" / "box.png")

    result = import_files(runner, tmp_path, "--dry-run")

    assert result.exit_code == 0, result.output
    stored = Path(app.instance_path) / "files"
    assert not stored.exists() or not any(p.is_file() for p in stored.rglob("*"))


# --- import-content: a broken course changes nothing ---


def _unclosed_brace(courses: Path, quizzes: Path):
    bank = quizzes / "livestream-selling.vi.gift"
    line = append(bank, "::ls-broken-01:: Câu hỏi chưa đóng ngoặc {\n=Đúng\n~Sai\n")
    return bank, line


def _answer_without_question(courses: Path, quizzes: Path):
    bank = quizzes / "livestream-selling.vi.gift"
    line = append(bank, "{=Đúng ~Sai}\n")
    return bank, line


def _unknown_escape(courses: Path, quizzes: Path):
    bank = quizzes / "livestream-selling.en.gift"
    line = append(bank, "$CATEGORY: planning\n\n::ls-broken-02:: Price \\q 10,000 VND? {T####Bad escape.}\n")
    return bank, line + 2


def _lesson_without_front_matter(courses: Path, quizzes: Path):
    lesson = sorted((courses / "livestream-selling").glob("03-*/02-*.vi.md"))[0]
    lesson.write_text(lesson.read_text(encoding="utf-8").split("---", 2)[2].lstrip(), encoding="utf-8")
    return lesson, 1


def _traversal_asset_link(courses: Path, quizzes: Path):
    lesson = sorted((courses / "livestream-selling").glob("01-*/01-*.en.md"))[0]
    line = append(lesson, "![password file](assets/../../etc/passwd)\n")
    return lesson, line


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (_unclosed_brace, "answer block '{' is never closed with '}'"),
        (_answer_without_question, "answer block without question text"),
        (_unknown_escape, "unknown escape '\\q'"),
        (_lesson_without_front_matter, "the lesson must start with '---' front matter"),
        (_traversal_asset_link, "image 'assets/../../etc/passwd' is not a file in the course's assets/ folder"),
    ],
    ids=["unclosed-brace", "answer-without-question", "unknown-escape", "no-front-matter", "asset-traversal"],
)
def test_a_broken_course_is_rejected_whole_while_the_others_are_imported(runner, app, tmp_path, breakage, message):
    courses, quizzes = copy_repository_content(tmp_path)
    path, line = breakage(courses, quizzes)

    result = import_files(runner, tmp_path)

    assert result.exit_code != 0
    assert "livestream-selling: rejected, nothing imported" in result.output
    assert f"{path}:{line}: {message}" in result.output
    assert course_slugs(app) == [slug for slug in SHIPPED if slug != "livestream-selling"]
    assert count(app, Module) == sum(1 for slug in SHIPPED[1:] for p in (courses / slug).iterdir() if p.is_dir() and p.name != "assets")
    livestream_titles = [q.title for q in parse_gift((REPO / "quizzes" / "livestream-selling.vi.gift").read_text(encoding="utf-8"))]
    assert count(app, Question, Question.title.in_(livestream_titles)) == 0


def test_a_broken_update_leaves_the_imported_course_as_it_was(runner, app, tmp_path):
    folder = write_course(tmp_path, "demo-course")
    assert import_files(runner, tmp_path).exit_code == 0
    before = dump_tables(app)
    write_lesson(folder / "01-basics", 2, "prices", "vi", lesson_file("Giá mới", "## Giá\n\nGiá đã đổi.\n"))
    append(tmp_path / "quizzes" / "demo-course.vi.gift", "::demo-broken:: Giá {=a ~b\n")

    result = import_files(runner, tmp_path)

    assert result.exit_code != 0
    assert "demo-course: rejected, nothing imported" in result.output
    assert dump_tables(app) == before


# --- versions ---


def test_changing_a_lesson_creates_a_new_version_and_keeps_lesson_ids(runner, app, tmp_path):
    folder = write_course(tmp_path, "demo-course")
    assert import_files(runner, tmp_path).exit_code == 0
    first = lesson_row(app, "basics", "prices")
    write_lesson(folder / "01-basics", 2, "prices", "vi", lesson_file("Giá bán lẻ", "## Giá\n\nGiá bán lẻ đã đổi.\n\n## Nguồn\n\n- Sổ giá\n"))

    result = import_files(runner, tmp_path, "--note", "Cập nhật giá")

    assert result.exit_code == 0, result.output
    assert "demo-course: updated (version 2)" in result.output
    old, new = versions(app, "demo-course")
    assert (old.number, new.number) == (1, 2)
    assert new.lesson_ids == old.lesson_ids  # same lessons, so progress stays attached
    assert new.change_note == "Cập nhật giá"
    second = lesson_row(app, "basics", "prices")
    assert second.id == first.id
    assert (second.title_vi, second.body_vi) == ("Giá bán lẻ", "## Giá\n\nGiá bán lẻ đã đổi.\n\n## Nguồn\n\n- Sổ giá\n")
    assert "Giá bán lẻ đã đổi." in second.html_vi
    with app.app_context():
        assert db.session.scalar(select(Course.version).where(Course.slug == "demo-course")) == 2


def test_a_new_version_can_be_flagged_as_requiring_recertification(runner, app, tmp_path):
    folder = write_course(tmp_path, "demo-course")
    assert import_files(runner, tmp_path, "--requires-recertification").exit_code == 0
    assert versions(app, "demo-course")[0].requires_recertification is False  # a first version has nothing to recertify
    write_lesson(folder / "01-basics", 2, "prices", "vi", lesson_file("Giá mới", "## Giá\n\nQuy định mới về giá.\n"))

    assert import_files(runner, tmp_path, "--note", "Quy định mới", "--requires-recertification").exit_code == 0

    assert versions(app, "demo-course")[-1].requires_recertification is True


def test_without_a_note_the_new_version_lists_what_changed(runner, app, tmp_path):
    folder = write_course(tmp_path, "demo-course")
    assert import_files(runner, tmp_path).exit_code == 0
    write_lesson(folder / "02-shipping", 1, "boxes", "en", lesson_file("Boxes", "## Boxes\n\nUse strong boxes.\n"))

    assert import_files(runner, tmp_path).exit_code == 0

    assert versions(app, "demo-course")[-1].change_note == "lesson shipping/boxes changed"


def test_a_removed_lesson_is_unpublished_not_deleted(runner, app, tmp_path):
    folder = write_course(tmp_path, "demo-course")
    assert import_files(runner, tmp_path).exit_code == 0
    removed = lesson_row(app, "basics", "prices")
    for lang in ("vi", "en"):
        (folder / "01-basics" / f"02-prices.{lang}.md").unlink()

    result = import_files(runner, tmp_path)

    assert result.exit_code == 0, result.output
    assert "lesson basics/prices unpublished" in result.output
    kept = lesson_row(app, "basics", "prices")
    assert kept.id == removed.id and kept.is_published is False
    old, new = versions(app, "demo-course")
    assert removed.id in old.lesson_ids and removed.id not in new.lesson_ids


def test_a_removed_module_is_unpublished_with_its_lessons(runner, app, tmp_path):
    folder = write_course(tmp_path, "demo-course")
    assert import_files(runner, tmp_path).exit_code == 0
    shutil.rmtree(folder / "02-shipping")
    for lang in ("vi", "en"):
        bank = tmp_path / "quizzes" / f"demo-course.{lang}.gift"
        bank.write_text(bank.read_text(encoding="utf-8").split("$CATEGORY: shipping")[0], encoding="utf-8")

    result = import_files(runner, tmp_path)

    assert result.exit_code == 0, result.output
    assert "module shipping unpublished" in result.output
    assert count(app, Module) == 2 and count(app, Module, Module.is_published) == 1
    assert lesson_row(app, "shipping", "boxes").is_published is False
    assert count(app, Question, Question.is_retired) == 2


def test_a_removed_question_is_retired_not_deleted(runner, app, tmp_path):
    write_course(tmp_path, "demo-course")
    assert import_files(runner, tmp_path).exit_code == 0
    for lang in ("vi", "en"):
        bank = tmp_path / "quizzes" / f"demo-course.{lang}.gift"
        lines = bank.read_text(encoding="utf-8").split("\n")
        bank.write_text("\n".join(line for line in lines if not line.startswith("::demo-course-basics-2::")), encoding="utf-8")

    result = import_files(runner, tmp_path)

    assert result.exit_code == 0, result.output
    assert "question demo-course-basics-2 retired" in result.output
    with app.app_context():
        retired = db.session.scalar(select(Question).where(Question.title == "demo-course-basics-2"))
        assert retired is not None and retired.is_retired is True
        assert db.session.scalar(select(func.count()).select_from(Question).where(Question.is_retired.is_(False))) == 3


# --- export-content ---


def test_an_export_imported_into_an_empty_database_reproduces_the_shipped_courses(runner, app, tmp_path):
    assert invoke(runner, "import-content").exit_code == 0
    original = curriculum(app)
    export = tmp_path / "export"

    result = invoke(runner, "export-content", export)

    assert result.exit_code == 0, result.output
    assert "Exported 4 course(s)" in result.output
    check = invoke(runner, "check-content", export / "courses", export / "quizzes")
    assert check.exit_code == 0, check.output
    wipe(app.extensions["lms_db"].engine)
    assert course_slugs(app) == []
    reimport = import_files(runner, export)
    assert reimport.exit_code == 0, reimport.output
    assert curriculum(app) == original


def test_an_export_keeps_assets_dates_and_videos(runner, app, tmp_path):
    source = tmp_path / "source"
    folder = write_course(source, "demo-course")
    (folder / "assets").mkdir()
    Image.new("RGB", (64, 48), "white").save(folder / "assets" / "box.png")
    write_lesson(folder / "01-basics", 1, "welcome", "vi", lesson_file("Chào", "![Hộp](../assets/box.png)\n\nGiá: 10.000 đ.\n", as_of="2026-02-01", video="https://youtu.be/dQw4w9WgXcQ"))
    assert import_files(runner, source).exit_code == 0
    original = curriculum(app)
    export = tmp_path / "export"

    assert invoke(runner, "export-content", export).exit_code == 0
    wipe(app.extensions["lms_db"].engine)
    result = import_files(runner, export)

    assert result.exit_code == 0, result.output
    assert curriculum(app) == original
    assert (export / "courses" / "demo-course" / "assets" / "box.png").read_bytes() == (folder / "assets" / "box.png").read_bytes()
