"""Helpers that write small, valid course folders and question banks into a temporary directory."""
from __future__ import annotations

import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

DEFAULT_MODULES = (("basics", ("welcome", "prices")), ("shipping", ("boxes",)))


def lesson_file(title: str, body: str, **meta) -> str:
    """A lesson file: YAML front matter (title, minutes, extra keys) then the Markdown body."""
    lines = ["---", f'title: "{title}"', f"minutes: {meta.pop('minutes', 5)}"]
    lines += [f"{key}: {value}" for key, value in meta.items()]
    return "\n".join(lines) + "\n---\n\n" + body


def lesson_body(slug: str, lang: str) -> str:
    if lang == "vi":
        return f"## Nội dung\n\nBài {slug}: kiểm tra hàng, giá và hạn dùng trước khi bán.\n\n## Nguồn\n\n- Tài liệu nội bộ\n"
    return f"## Content\n\nLesson {slug}: check stock, prices and best-before dates before selling.\n\n## Sources\n\n- Internal notes\n"


def write_lesson(module_dir: Path, number: int, slug: str, lang: str, text: str | None = None) -> Path:
    path = module_dir / f"{number:02d}-{slug}.{lang}.md"
    title = f"Bài {slug}" if lang == "vi" else f"Lesson {slug}"
    path.write_text(text if text is not None else lesson_file(title, lesson_body(slug, lang)), encoding="utf-8")
    return path


def course_yml(name: str, **fields) -> str:
    values = {
        "slug": name, "track": "operations", "version": 1,
        "title_vi": f"Khóa {name}", "title_en": f"Course {name}",
        "required_for_onboarding": "false", "prerequisites": "[]", "questions_per_attempt": 5,
    }
    values.update(fields)
    return (
        f"slug: {values['slug']}\n"
        f"track: {values['track']}\n"
        f"version: {values['version']}\n"
        f'title:\n  vi: "{values["title_vi"]}"\n  en: "{values["title_en"]}"\n'
        'summary:\n  vi: "Tóm tắt ngắn."\n  en: "A short summary."\n'
        "estimated_hours: 2\npass_mark: 80\ncertificate_validity_months: 24\n"
        f"required_for_onboarding: {values['required_for_onboarding']}\n"
        f"prerequisites: {values['prerequisites']}\n"
        f"questions_per_attempt: {values['questions_per_attempt']}\n"
    )


def gift_bank(slug: str, modules, lang: str) -> str:
    """Two questions per module (single choice and true/false), titles shared by both languages."""
    blocks = []
    for module, _ in modules:
        blocks.append(f"$CATEGORY: {module}\n")
        if lang == "vi":
            blocks.append(f"::{slug}-{module}-1:: Việc nào cần làm trước khi bán? {{\n=Kiểm tra hàng#Đúng.\n~Tăng giá#Sai.\n####Bài {module}\\: kiểm tra hàng.}}\n")
            blocks.append(f"::{slug}-{module}-2:: Cần ghi hạn dùng trên nhãn. {{T####Bài {module}\\: nhãn có hạn dùng.}}\n")
        else:
            blocks.append(f"::{slug}-{module}-1:: What should you do before selling? {{\n=Check the stock#Right.\n~Raise prices#Wrong.\n####Lesson {module}\\: check stock.}}\n")
            blocks.append(f"::{slug}-{module}-2:: Labels must show the best-before date. {{T####Lesson {module}\\: labels show it.}}\n")
    return "\n".join(blocks)


def write_course(root: Path, name: str = "demo-course", modules=DEFAULT_MODULES, banks: bool = True, **fields) -> Path:
    """Write root/courses/<name> (modules of vi+en lessons) and root/quizzes/<name>.<lang>.gift; return the course folder.

    `fields` override course.yml values (slug, track, title_vi, required_for_onboarding, prerequisites, ...).
    """
    folder = root / "courses" / name
    folder.mkdir(parents=True)
    (folder / "course.yml").write_text(course_yml(name, **fields), encoding="utf-8")
    for m_number, (module, lessons) in enumerate(modules, 1):
        module_dir = folder / f"{m_number:02d}-{module}"
        module_dir.mkdir()
        (module_dir / "module.yml").write_text(f'title:\n  vi: "Học phần {module}"\n  en: "Module {module}"\n', encoding="utf-8")
        for l_number, lesson in enumerate(lessons, 1):
            for lang in ("vi", "en"):
                write_lesson(module_dir, l_number, lesson, lang)
    if banks:
        quizzes = root / "quizzes"
        quizzes.mkdir(exist_ok=True)
        for lang in ("vi", "en"):
            (quizzes / f"{name}.{lang}.gift").write_text(gift_bank(name, modules, lang), encoding="utf-8")
    return folder


def copy_repository_content(root: Path) -> tuple[Path, Path]:
    """A private copy of the shipped courses/ and quizzes/ to break or change in a test."""
    courses, quizzes = root / "courses", root / "quizzes"
    shutil.copytree(REPO / "courses", courses)
    shutil.copytree(REPO / "quizzes", quizzes)
    return courses, quizzes
