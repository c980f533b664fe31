"""Pure reader of the courses/ layout: course.yml, module folders, lesson Markdown with front matter.

Nothing here touches Flask or the database; problems are collected as `file:line: message`.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml

from lms.catalog.models import SHOW_CORRECT_ANSWERS
from lms.content.gift import Problem

LANGUAGES = ("vi", "en")
TRACKS = ("livestream", "packaging", "compliance", "operations")
MAX_LESSON_BYTES = 1_000_000
MAX_ASSET_BYTES = 5_000_000
ASSET_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".gif", ".pdf"}
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_ORDERED = re.compile(r"^(\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)$")
_LESSON_FILE = re.compile(r"^(\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)\.(vi|en)\.md$")


@dataclass
class LessonText:
    title: str
    body: str
    minutes: int
    as_of: date | None = None
    video: str | None = None
    source: str = ""


@dataclass
class LessonFile:
    slug: str
    position: int
    texts: dict[str, LessonText] = field(default_factory=dict)


@dataclass
class ModuleFile:
    slug: str
    position: int
    title: dict[str, str]
    lessons: list[LessonFile] = field(default_factory=list)


@dataclass
class CourseFile:
    slug: str
    track: str
    version: int
    title: dict[str, str]
    summary: dict[str, str]
    estimated_hours: float
    pass_mark: int
    certificate_validity_months: int
    required_for_onboarding: bool
    prerequisites: list[str]
    questions_per_attempt: int
    require_reading_time: bool = False
    max_attempts: int = 3
    cooldown_hours: int = 24
    time_limit_minutes: int = 0
    show_correct_answers: str = SHOW_CORRECT_ANSWERS[1]
    modules: list[ModuleFile] = field(default_factory=list)
    assets: dict[str, Path] = field(default_factory=dict)
    folder: Path | None = None


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: Path | str, line: int, message: str) -> None:
        self.problems.append(Problem(str(path), line, message))


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _read_text(path: Path, problems: _Collector, limit: int) -> str | None:
    size = path.stat().st_size
    if size > limit:
        problems.add(path, 1, f"file is {size:,} bytes; the limit is {limit:,}")
        return None
    try:
        return _nfc(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        line = path.read_bytes()[: error.start].count(b"\n") + 1
        problems.add(path, line, "not valid UTF-8")
        return None


def _load_yaml(path: Path, problems: _Collector) -> dict | None:
    text = _read_text(path, problems, 100_000)
    if text is None:
        return None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problems.add(path, (mark.line + 1) if mark else 1, f"invalid YAML: {getattr(error, 'problem', error)}")
        return None
    if not isinstance(data, dict):
        problems.add(path, 1, "expected a mapping of keys to values")
        return None
    return data


def _bilingual(data: dict, key: str, path: Path, problems: _Collector, required: bool = True) -> dict[str, str]:
    value = data.get(key)
    if not isinstance(value, dict):
        if required:
            problems.add(path, 1, f"'{key}' must have a 'vi' and an 'en' text")
        return {}
    result = {}
    for lang in LANGUAGES:
        text = value.get(lang)
        if not isinstance(text, str) or not text.strip():
            if required or lang == "vi":
                problems.add(path, 1, f"'{key}' has no {lang} text")
            continue
        result[lang] = _nfc(text.strip())
    return result


def _number(data: dict, key: str, default, kind, low, high, path: Path, problems: _Collector):
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and not isinstance(value, int)):
        problems.add(path, 1, f"'{key}' must be a number")
        return default
    if not low <= value <= high:
        problems.add(path, 1, f"'{key}' must be between {low} and {high}")
        return default
    return kind(value)


def _choice(data: dict, key: str, allowed: tuple[str, ...], path: Path, problems: _Collector) -> str:
    value = data.get(key, allowed[-1])
    if value not in allowed:
        problems.add(path, 1, f"'{key}' must be one of {', '.join(allowed)}")
        return allowed[-1]
    return value


def split_front_matter(text: str) -> tuple[dict | None, str, int, str | None]:
    """Split '---' YAML front matter from Markdown: (meta, body, first body line, error)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return None, text, 1, "the lesson must start with '---' front matter (title, minutes)"
    for index in range(1, len(lines)):
        if lines[index].strip() == "---":
            try:
                meta = yaml.safe_load("\n".join(lines[1:index])) or {}
            except yaml.YAMLError as error:
                mark = getattr(error, "problem_mark", None)
                return None, "", (mark.line + 2) if mark else 1, f"invalid front matter: {getattr(error, 'problem', error)}"
            if not isinstance(meta, dict):
                return None, "", 2, "front matter must be a mapping"
            return meta, "\n".join(lines[index + 1 :]), index + 2, None
    return None, "", 1, "front matter is not closed with '---'"


def _lesson_text(path: Path, problems: _Collector) -> LessonText | None:
    text = _read_text(path, problems, MAX_LESSON_BYTES)
    if text is None:
        return None
    meta, body, line, error = split_front_matter(text)
    if error:
        problems.add(path, line, error)
        return None
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        problems.add(path, 2, "front matter needs a 'title'")
        return None
    minutes = meta.get("minutes", 5)
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= 240:
        problems.add(path, 2, "'minutes' must be a whole number from 1 to 240")
        minutes = 5
    as_of = meta.get("as_of")
    if as_of is not None and not isinstance(as_of, date):
        problems.add(path, 2, "'as_of' must be a date like 2026-01-31")
        as_of = None
    video = meta.get("video")
    if video is not None and not isinstance(video, str):
        problems.add(path, 2, "'video' must be a web address")
        video = None
    if not body.strip():
        problems.add(path, 2, "the lesson has no text")
    return LessonText(title=_nfc(title.strip()), body=body.strip() + "\n", minutes=minutes, as_of=as_of, video=video, source=str(path))


def read_course(folder: Path) -> tuple[CourseFile | None, list[Problem]]:
    """Read one course folder; returns the course (None if unusable) and every problem found."""
    problems = _Collector()
    course_yml = folder / "course.yml"
    if not course_yml.is_file():
        problems.add(course_yml, 1, "missing course.yml")
        return None, problems.problems
    data = _load_yaml(course_yml, problems)
    if data is None:
        return None, problems.problems
    slug = data.get("slug")
    if not isinstance(slug, str) or not _SLUG.match(slug):
        problems.add(course_yml, 1, "'slug' must be lowercase letters, digits and hyphens")
        return None, problems.problems
    if slug != folder.name:
        problems.add(course_yml, 1, f"slug '{slug}' differs from the folder name '{folder.name}'")
    track = data.get("track")
    if track not in TRACKS:
        problems.add(course_yml, 1, f"'track' must be one of {', '.join(TRACKS)}")
    prerequisites = data.get("prerequisites") or []
    if not isinstance(prerequisites, list) or not all(isinstance(p, str) and _SLUG.match(p) for p in prerequisites):
        problems.add(course_yml, 1, "'prerequisites' must be a list of course slugs")
        prerequisites = []
    course = CourseFile(
        slug=slug,
        track=track if track in TRACKS else TRACKS[0],
        version=_number(data, "version", 1, int, 1, 10_000, course_yml, problems),
        title=_bilingual(data, "title", course_yml, problems),
        summary=_bilingual(data, "summary", course_yml, problems),
        estimated_hours=_number(data, "estimated_hours", 1, float, 0.1, 500, course_yml, problems),
        pass_mark=_number(data, "pass_mark", 80, int, 1, 100, course_yml, problems),
        certificate_validity_months=_number(data, "certificate_validity_months", 24, int, 1, 120, course_yml, problems),
        required_for_onboarding=bool(data.get("required_for_onboarding", False)),
        prerequisites=prerequisites,
        questions_per_attempt=_number(data, "questions_per_attempt", 20, int, 1, 200, course_yml, problems),
        require_reading_time=bool(data.get("require_reading_time", False)),
        max_attempts=_number(data, "max_attempts", 3, int, 1, 100, course_yml, problems),
        cooldown_hours=_number(data, "cooldown_hours", 24, int, 0, 24 * 90, course_yml, problems),
        time_limit_minutes=_number(data, "time_limit_minutes", 0, int, 0, 600, course_yml, problems),
        show_correct_answers=_choice(data, "show_correct_answers", SHOW_CORRECT_ANSWERS, course_yml, problems),
        folder=folder,
    )
    for entry in sorted(folder.iterdir()):
        if entry.is_dir() and entry.name == "assets":
            _read_assets(entry, course, problems)
        elif entry.is_dir():
            match = _ORDERED.match(entry.name)
            if not match:
                problems.add(entry, 1, "module folders are named like '01-planning'")
                continue
            module = _read_module(entry, int(match.group(1)), match.group(2), problems)
            if module:
                course.modules.append(module)
        elif entry.name not in {"course.yml", "README.md"} and not entry.name.startswith("."):
            problems.add(entry, 1, "unexpected file in the course folder")
    if not course.modules:
        problems.add(folder, 1, "the course has no module")
    _check_unique([m.slug for m in course.modules], folder, "module slug", problems)
    return course, problems.problems


def _check_unique(values: list[str], where: Path, what: str, problems: _Collector) -> None:
    seen = set()
    for value in values:
        if value in seen:
            problems.add(where, 1, f"duplicate {what} '{value}'")
        seen.add(value)


def _read_assets(folder: Path, course: CourseFile, problems: _Collector) -> None:
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        relative = path.relative_to(folder).as_posix()
        if path.is_symlink() or path.suffix.lower() not in ASSET_SUFFIXES:
            problems.add(path, 1, f"asset type not allowed (allowed: {', '.join(sorted(ASSET_SUFFIXES))})")
        elif path.stat().st_size > MAX_ASSET_BYTES:
            problems.add(path, 1, f"asset larger than {MAX_ASSET_BYTES:,} bytes")
        else:
            course.assets[relative] = path


def _read_module(folder: Path, position: int, slug: str, problems: _Collector) -> ModuleFile | None:
    module_yml = folder / "module.yml"
    if not module_yml.is_file():
        problems.add(module_yml, 1, "missing module.yml")
        return None
    data = _load_yaml(module_yml, problems)
    if data is None:
        return None
    module = ModuleFile(slug=slug, position=position, title=_bilingual(data, "title", module_yml, problems))
    lessons: dict[str, LessonFile] = {}
    for path in sorted(folder.iterdir()):
        if path.name == "module.yml":
            continue
        match = _LESSON_FILE.match(path.name)
        if not match or not path.is_file():
            problems.add(path, 1, "lesson files are named like '01-intro.vi.md' and '01-intro.en.md'")
            continue
        number, lesson_slug, lang = int(match.group(1)), match.group(2), match.group(3)
        lesson = lessons.setdefault(lesson_slug, LessonFile(slug=lesson_slug, position=number))
        if lesson.position != number:
            problems.add(path, 1, f"lesson '{lesson_slug}' has two different numbers")
        text = _lesson_text(path, problems)
        if text:
            lesson.texts[lang] = text
    reported = {p.file for p in problems.problems}
    for lesson in lessons.values():
        for lang, language in (("vi", "Vietnamese"), ("en", "English")):
            # a file that exists but has problems is already reported; only a file that is not there is "missing"
            path = folder / f"{lesson.position:02d}-{lesson.slug}.{lang}.md"
            if lang not in lesson.texts and str(path) not in reported:
                problems.add(path, 1, f"missing the {language} version of this lesson")
    _check_unique([f"{l.position:02d}" for l in lessons.values()], folder, "lesson number", problems)
    module.lessons = sorted(lessons.values(), key=lambda l: l.position)
    if not module.lessons:
        problems.add(folder, 1, "the module has no lesson")
    return module


def find_course_folders(paths: list[Path]) -> list[Path]:
    """Course folders under the given paths (a course folder itself, or a folder of them)."""
    found = []
    for path in paths:
        if (path / "course.yml").is_file():
            found.append(path)
        elif path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.is_dir() and (p / "course.yml").is_file()))
    return found


def find_banks(paths: list[Path]) -> dict[str, dict[str, Path]]:
    """GIFT files named <slug>.<lang>.gift under the given paths: {slug: {lang: path}}."""
    banks: dict[str, dict[str, Path]] = {}
    for path in paths:
        candidates = [path] if path.is_file() else sorted(path.glob("*.gift")) if path.is_dir() else []
        for file in candidates:
            match = re.match(r"^([a-z0-9-]+)\.(vi|en)\.gift$", file.name)
            if match:
                banks.setdefault(match.group(1), {})[match.group(2)] = file
    return banks
