"""Whole-course checks over parsed files (pure): translations, links, assets, answer keys, pairing."""
from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from lms.assessment.bank import GRADED_KINDS, answer_shape
from lms.content.files import CourseFile, LessonText, ModuleFile
from lms.content.gift import GiftError, Problem, Question, check_question, parse_gift
from lms.content.render import AssetInfo, Rendered, render_markdown, video_embed

MAX_BANK_BYTES = 5_000_000
_LESSON_LINK = re.compile(r"^(\d{2})-([a-z0-9-]+)\.(vi|en)\.md$")


@dataclass
class Bundle:
    """One course with its question banks, parsed and checked, ready to import."""

    course: CourseFile
    banks: dict[str, list[Question]] = field(default_factory=dict)
    bank_files: dict[str, Path] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # rendered[(module slug, lesson slug, lang)] = sanitised HTML
    rendered: dict[tuple[str, str, str], str] = field(default_factory=dict)


def lesson_url(course_slug: str, module_slug: str, lesson_slug: str) -> str:
    return f"/courses/{course_slug}/{module_slug}/{lesson_slug}"


def asset_url(course_slug: str, name: str) -> str:
    return f"/courses/{course_slug}/assets/{name}"


def read_bank(path: Path) -> tuple[list[Question], list[Problem]]:
    size = path.stat().st_size
    if size > MAX_BANK_BYTES:
        return [], [Problem(str(path), 1, f"file is {size:,} bytes; the limit is {MAX_BANK_BYTES:,}")]
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [Problem(str(path), 1, "not valid UTF-8")]
    try:
        return parse_gift(text, str(path)), []
    except GiftError as error:
        return [], error.problems


def _line_of(text: LessonText, needle: str) -> int:
    """Line in the lesson file where a link target appears (front matter counted)."""
    try:
        raw = Path(text.source).read_text(encoding="utf-8-sig").split("\n")
    except OSError:
        return 1
    for number, line in enumerate(raw, 1):
        if needle and needle in line:
            return number
    return 1


def _resolver(course: CourseFile, module: ModuleFile, lang: str):
    known = {(m.slug, l.slug): (m.position, l.position) for m in course.modules for l in m.lessons}
    folder = f"{module.position:02d}-{module.slug}"

    def resolve(href: str) -> str | None:
        path = href.split("#", 1)[0]
        target = posixpath.normpath(posixpath.join(folder, path))
        parts = target.split("/")
        if len(parts) != 2 or parts[0].startswith(".."):
            return None
        module_match = re.match(r"^(\d{2})-([a-z0-9-]+)$", parts[0])
        lesson_match = _LESSON_LINK.match(parts[1])
        if not module_match or not lesson_match or lesson_match.group(3) != lang:
            return None
        key = (module_match.group(2), lesson_match.group(2))
        if known.get(key) != (int(module_match.group(1)), int(lesson_match.group(1))):
            return None
        return lesson_url(course.slug, *key)

    return resolve


def render_course(bundle: Bundle, asset_sizes: dict[str, tuple[int | None, int | None]]) -> None:
    """Render every lesson once, recording broken links, missing assets and bad video addresses."""
    course = bundle.course

    def resolve_asset(name: str) -> AssetInfo | None:
        if name not in course.assets:
            return None
        width, height = asset_sizes.get(name, (None, None))
        return AssetInfo(asset_url(course.slug, name), width, height)

    for module in course.modules:
        for lesson in module.lessons:
            for lang, text in lesson.texts.items():
                rendered: Rendered = render_markdown(text.body, resolve_asset, _resolver(course, module, lang))
                bundle.rendered[(module.slug, lesson.slug, lang)] = rendered.html
                for message in rendered.problems:
                    needle = re.search(r"'([^']*)'", message)
                    bundle.problems.append(Problem(text.source, _line_of(text, needle.group(1) if needle else ""), message))
                if text.video and video_embed(text.video) is None:
                    bundle.problems.append(Problem(text.source, 2, "video must be an https address on YouTube, TikTok or Facebook"))


def check_banks(bundle: Bundle) -> None:
    """Pairing of vi/en questions by title, categories that name modules, answer keys that can be right."""
    course = bundle.course
    modules = {m.slug for m in course.modules}
    vi_file = bundle.bank_files.get("vi")
    if vi_file is None:
        bundle.problems.append(Problem(f"quizzes/{course.slug}.vi.gift", 1, "missing the Vietnamese question bank"))
        return
    by_lang: dict[str, dict[str, Question]] = {}
    for lang, questions in bundle.banks.items():
        path = str(bundle.bank_files[lang])
        seen: dict[str, Question] = {}
        for question in questions:
            if not question.title:
                bundle.problems.append(Problem(path, question.line, "every question needs a ::title:: (its stable key)"))
                continue
            if question.title in seen:
                bundle.problems.append(Problem(path, question.line, f"duplicate title '{question.title}' (first on line {seen[question.title].line})"))
                continue
            seen[question.title] = question
            if question.category not in modules:
                bundle.problems.append(Problem(path, question.line, f"$CATEGORY '{question.category}' is not a module of course '{course.slug}'"))
            for issue in check_question(question):
                bundle.problems.append(Problem(path, question.line, f"answer key: {issue}"))
        by_lang[lang] = seen
    vi, en = by_lang.get("vi", {}), by_lang.get("en")
    if en is None:
        bundle.problems.append(Problem(f"quizzes/{course.slug}.en.gift", 1, "missing the English question bank"))
        return
    en_path = str(bundle.bank_files["en"])
    for title, question in vi.items():
        other = en.get(title)
        if other is None:
            bundle.problems.append(Problem(str(vi_file), question.line, f"question '{title}' has no English version"))
        elif answer_shape(question) != answer_shape(other):
            bundle.problems.append(Problem(en_path, other.line, f"question '{title}' does not have the same answers (kind, weights, pairs) as in Vietnamese"))
        elif other.category != question.category:
            bundle.problems.append(Problem(en_path, other.line, f"question '{title}' is in another category than in Vietnamese"))
    for title, question in en.items():
        if title not in vi:
            bundle.problems.append(Problem(en_path, question.line, f"question '{title}' has no Vietnamese version"))
    graded = [q for q in vi.values() if q.kind in GRADED_KINDS]
    if not graded:
        bundle.problems.append(Problem(str(vi_file), 1, "the bank has no graded question"))
    for module in course.modules:
        if graded and not any(q.category == module.slug for q in graded):
            bundle.problems.append(Problem(str(vi_file), 1, f"module '{module.slug}' has no graded question (every module must be represented)"))


def image_size(path: Path | BinaryIO) -> tuple[int | None, int | None]:
    try:
        from PIL import Image

        with Image.open(path) as image:
            return image.size
    except Exception:  # not an image (e.g. a PDF attachment) or unreadable: no size attributes
        return None, None


def check_bundle(bundle: Bundle, known_courses: set[str]) -> None:
    course = bundle.course
    for prerequisite in course.prerequisites:
        if prerequisite not in known_courses or prerequisite == course.slug:
            bundle.problems.append(Problem(str(course.folder / "course.yml"), 1, f"prerequisite '{prerequisite}' is not a known course"))
    sizes = {name: image_size(path) for name, path in course.assets.items()}
    render_course(bundle, sizes)
    check_banks(bundle)
