"""`flask lms import-content` never silently replaces what trainers changed in the browser since the last import."""
from pathlib import Path

from content_factory import lesson_file, write_course, write_lesson
from sqlalchemy import select

from lms.authoring import services
from lms.catalog.models import Course, Lesson, Module
from lms.extensions import db
from tests.conftest import make_user

FILE_TEXT = "## Giá\n\nGiá bán lẻ theo tệp.\n\n## Nguồn\n\n- Sổ giá\n"


def import_files(runner, root: Path, *extra):
    return runner.invoke(args=["lms", "import-content", str(root / "courses"), str(root / "quizzes"), *extra])


def prices_lesson(app) -> Lesson:
    with app.app_context():
        lesson = db.session.scalar(select(Lesson).join(Module).where(Module.slug == "basics", Lesson.slug == "prices"))
        db.session.expunge(lesson)
        return lesson


def edit_in_browser(app, body_vi="## Giá\n\nGiá do giảng viên sửa trên web.") -> None:
    """What the lesson editor does when a trainer saves: the service call the page makes, audited."""
    with app.app_context():
        trainer = make_user(db.session, role="trainer", name="Trần Văn Minh")
        lesson = db.session.scalar(select(Lesson).join(Module).where(Module.slug == "basics", Lesson.slug == "prices"))
        draft = services.LessonDraft(titles={"vi": lesson.title_vi, "en": lesson.title_en}, bodies={"vi": body_vi, "en": lesson.body_en},
                                     minutes=lesson.minutes)
        services.save_lesson(db.session, lesson, draft, lesson.revision, trainer.id)
        db.session.commit()


def change_file(folder: Path) -> None:
    write_lesson(folder / "01-basics", 2, "prices", "vi", lesson_file("Bài prices", FILE_TEXT))


def test_changed_files_do_not_replace_a_lesson_edited_in_the_browser(runner, app, tmp_path):
    folder = write_course(tmp_path, "demo-course")
    assert import_files(runner, tmp_path).exit_code == 0
    edit_in_browser(app)
    change_file(folder)

    result = import_files(runner, tmp_path)

    assert result.exit_code == 1
    assert "demo-course: not imported: changed in the browser since its last import" in result.output
    assert "lesson.updated by Trần Văn Minh" in result.output and "--overwrite-browser-edits" in result.output
    assert "sửa trên web" in prices_lesson(app).body_vi
    with app.app_context():
        assert db.session.scalar(select(Course.version)) == 1
    assert import_files(runner, tmp_path, "--dry-run").exit_code == 1  # a dry run says so too


def test_overwrite_browser_edits_replaces_them_and_the_next_import_runs_freely(runner, app, tmp_path):
    folder = write_course(tmp_path, "demo-course")
    assert import_files(runner, tmp_path).exit_code == 0
    edit_in_browser(app)
    change_file(folder)

    result = import_files(runner, tmp_path, "--overwrite-browser-edits")

    assert result.exit_code == 0, result.output
    assert "demo-course: updated (version 2)" in result.output
    assert prices_lesson(app).body_vi == FILE_TEXT
    write_lesson(folder / "01-basics", 2, "prices", "vi", lesson_file("Bài prices", FILE_TEXT.replace("theo tệp", "mới")))
    assert import_files(runner, tmp_path).exit_code == 0  # nothing changed in the browser since that import


def test_unchanged_files_leave_browser_edits_alone(runner, app, tmp_path):
    write_course(tmp_path, "demo-course")
    assert import_files(runner, tmp_path).exit_code == 0
    edit_in_browser(app)
    result = import_files(runner, tmp_path)
    assert result.exit_code == 0 and "demo-course: unchanged" in result.output
    assert "sửa trên web" in prices_lesson(app).body_vi


def test_a_course_created_in_the_browser_is_not_replaced_by_files_with_its_slug(runner, app, tmp_path):
    from tests.services.test_authoring import SETTINGS

    with app.app_context():
        trainer = make_user(db.session, role="trainer")
        services.create_course(db.session, "demo-course", SETTINGS, trainer.id)
        db.session.commit()
    write_course(tmp_path, "demo-course")
    result = import_files(runner, tmp_path)
    assert result.exit_code == 1 and "demo-course: not imported" in result.output
    with app.app_context():
        assert db.session.scalar(select(Course.title_vi)) == SETTINGS.title_vi


def test_assigning_a_trainer_is_not_an_edit_of_the_content(runner, app, tmp_path):
    folder = write_course(tmp_path, "demo-course")
    assert import_files(runner, tmp_path).exit_code == 0
    with app.app_context():
        admin, trainer = make_user(db.session, role="admin"), make_user(db.session, role="trainer")
        course = db.session.scalar(select(Course))
        services.assign_trainer(db.session, course, trainer.id, admin.id)
        db.session.commit()
    change_file(folder)
    result = import_files(runner, tmp_path)
    assert result.exit_code == 0, result.output
    assert prices_lesson(app).body_vi == FILE_TEXT
