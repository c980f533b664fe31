"""Reading a course folder: course.yml, numbered module folders, bilingual lesson files; problems as file:line."""
from datetime import date

from content_factory import lesson_file, write_course, write_lesson

from lms.content.files import MAX_LESSON_BYTES, find_banks, find_course_folders, read_course, split_front_matter


def messages(problems):
    return [str(p) for p in problems]


def only_problem(problems):
    assert len(problems) == 1, messages(problems)
    return problems[0]


def test_a_valid_course_is_read_with_its_modules_lessons_and_both_languages(tmp_path):
    folder = write_course(tmp_path, "demo-course")

    course, problems = read_course(folder)

    assert problems == []
    assert (course.slug, course.track, course.version) == ("demo-course", "operations", 1)
    assert course.title == {"vi": "Khóa demo-course", "en": "Course demo-course"}
    assert [m.slug for m in course.modules] == ["basics", "shipping"]
    assert [m.title["en"] for m in course.modules] == ["Module basics", "Module shipping"]
    welcome = course.modules[0].lessons[0]
    assert welcome.slug == "welcome"
    assert welcome.texts["vi"].title == "Bài welcome"
    assert welcome.texts["en"].title == "Lesson welcome"
    assert welcome.texts["en"].body.startswith("## Content")
    assert "---" not in welcome.texts["vi"].body  # front matter is not part of the body


def test_front_matter_values_reach_the_lesson(tmp_path):
    folder = write_course(tmp_path, "demo-course")
    write_lesson(folder / "01-basics", 1, "welcome", "vi", lesson_file("Chào mừng", "## Nội dung\n\nChữ.\n", minutes=12, as_of="2026-03-01", video="https://youtu.be/dQw4w9WgXcQ"))

    course, problems = read_course(folder)

    text = course.modules[0].lessons[0].texts["vi"]
    assert problems == []
    assert (text.title, text.minutes, text.as_of, text.video) == ("Chào mừng", 12, date(2026, 3, 1), "https://youtu.be/dQw4w9WgXcQ")


def test_modules_and_lessons_are_ordered_by_their_numeric_prefix_not_their_name(tmp_path):
    folder = write_course(tmp_path, "demo-course", modules=(("zeta", ("omega",)),))
    alpha = folder / "02-alpha"
    alpha.mkdir()
    (alpha / "module.yml").write_text('title:\n  vi: "A"\n  en: "A"\n', encoding="utf-8")
    for number, slug in ((10, "aardvark"), (2, "zebra"), (1, "middle")):
        for lang in ("vi", "en"):
            write_lesson(alpha, number, slug, lang)

    course, problems = read_course(folder)

    assert problems == []
    assert [(m.position, m.slug) for m in course.modules] == [(1, "zeta"), (2, "alpha")]
    assert [(l.position, l.slug) for l in course.modules[1].lessons] == [(1, "middle"), (2, "zebra"), (10, "aardvark")]


def test_a_lesson_without_front_matter_is_reported_on_its_first_line(tmp_path):
    folder = write_course(tmp_path, "demo-course")
    path = write_lesson(folder / "01-basics", 2, "prices", "en", "## Prices\n\nNo front matter here.\n")

    _, problems = read_course(folder)

    problem = only_problem(problems)
    assert (problem.file, problem.line) == (str(path), 1)
    assert str(problem).startswith(f"{path}:1: ")
    assert "front matter" in problem.message


def test_front_matter_without_a_title_is_reported(tmp_path):
    folder = write_course(tmp_path, "demo-course")
    path = write_lesson(folder / "01-basics", 1, "welcome", "vi", "---\nminutes: 5\n---\n\nChữ.\n")

    _, problems = read_course(folder)

    assert messages(problems) == [f"{path}:2: front matter needs a 'title'"]


def test_a_lesson_with_no_vietnamese_version_is_reported_under_the_missing_file_name(tmp_path):
    folder = write_course(tmp_path, "demo-course")
    (folder / "02-shipping" / "01-boxes.vi.md").unlink()

    _, problems = read_course(folder)

    assert messages(problems) == [f"{folder / '02-shipping' / '01-boxes.vi.md'}:1: missing the Vietnamese version of this lesson"]


def test_a_lesson_with_no_english_version_is_reported_too(tmp_path):
    folder = write_course(tmp_path, "demo-course")
    (folder / "01-basics" / "02-prices.en.md").unlink()

    _, problems = read_course(folder)

    assert messages(problems) == [f"{folder / '01-basics' / '02-prices.en.md'}:1: missing the English version of this lesson"]


def test_invalid_yaml_in_course_yml_is_reported_at_its_line(tmp_path):
    folder = write_course(tmp_path, "demo-course")
    (folder / "course.yml").write_text('slug: demo-course\ntrack: operations\ntitle:\n  vi: "Khóa\n  en: [unclosed\n', encoding="utf-8")

    course, problems = read_course(folder)

    assert course is None
    problem = only_problem(problems)
    assert problem.file == str(folder / "course.yml")
    assert problem.line > 1
    assert problem.message.startswith("invalid YAML")


def test_invalid_yaml_in_front_matter_is_reported_at_the_line_of_the_error(tmp_path):
    folder = write_course(tmp_path, "demo-course")
    path = write_lesson(folder / "01-basics", 1, "welcome", "en", '---\ntitle: "Welcome"\nminutes: 5\nas_of: [2026-01-01\n---\n\nText.\n')

    _, problems = read_course(folder)

    problem = only_problem(problems)
    assert problem.file == str(path)
    assert problem.line >= 4  # the unclosed list on line 4 (or the closing line after it), not the top of the file
    assert problem.message.startswith("invalid front matter")


def test_a_lesson_over_the_size_limit_is_rejected_without_being_parsed(tmp_path):
    folder = write_course(tmp_path, "demo-course")
    path = write_lesson(folder / "01-basics", 1, "welcome", "vi", lesson_file("To", "chữ " * 1_250_000))
    assert path.stat().st_size > 5_000_000 > MAX_LESSON_BYTES

    _, problems = read_course(folder)

    problem = only_problem(problems)
    assert (problem.file, problem.line) == (str(path), 1)
    assert "limit" in problem.message


def test_a_course_slug_with_capitals_or_underscores_is_rejected(tmp_path):
    folder = write_course(tmp_path, "demo-course", slug="Demo_Course")

    course, problems = read_course(folder)

    assert course is None
    assert messages(problems) == [f"{folder / 'course.yml'}:1: 'slug' must be lowercase letters, digits and hyphens"]


def test_a_course_slug_that_differs_from_its_folder_is_reported(tmp_path):
    folder = write_course(tmp_path, "demo-course", slug="other-course")

    _, problems = read_course(folder)

    assert messages(problems) == [f"{folder / 'course.yml'}:1: slug 'other-course' differs from the folder name 'demo-course'"]


def test_a_module_folder_without_a_two_digit_prefix_or_with_capitals_is_reported(tmp_path):
    folder = write_course(tmp_path, "demo-course")
    (folder / "3-extra").mkdir()
    (folder / "04-Extra").mkdir()

    _, problems = read_course(folder)

    assert sorted(p.file for p in problems) == [str(folder / "04-Extra"), str(folder / "3-extra")]
    assert all("named like '01-planning'" in p.message for p in problems)


def test_a_lesson_file_with_a_bad_name_is_reported(tmp_path):
    folder = write_course(tmp_path, "demo-course")
    bad = folder / "01-basics" / "03-Bad_Name.vi.md"
    bad.write_text(lesson_file("X", "Chữ.\n"), encoding="utf-8")
    stray = folder / "01-basics" / "03-notes.fr.md"
    stray.write_text(lesson_file("X", "Texte.\n"), encoding="utf-8")

    _, problems = read_course(folder)

    assert sorted(p.file for p in problems) == sorted([str(bad), str(stray)])
    assert all(p.line == 1 and "named like '01-intro.vi.md'" in p.message for p in problems)


def test_a_module_without_module_yml_is_reported(tmp_path):
    folder = write_course(tmp_path, "demo-course")
    (folder / "02-shipping" / "module.yml").unlink()

    course, problems = read_course(folder)

    assert messages(problems) == [f"{folder / '02-shipping' / 'module.yml'}:1: missing module.yml"]
    assert [m.slug for m in course.modules] == ["basics"]


def test_a_folder_without_course_yml_is_reported(tmp_path):
    folder = tmp_path / "empty-course"
    folder.mkdir()

    course, problems = read_course(folder)

    assert course is None
    assert messages(problems) == [f"{folder / 'course.yml'}:1: missing course.yml"]


def test_two_lessons_with_the_same_number_are_reported(tmp_path):
    folder = write_course(tmp_path, "demo-course")
    for lang in ("vi", "en"):
        write_lesson(folder / "01-basics", 2, "discounts", lang)

    _, problems = read_course(folder)

    assert messages(problems) == [f"{folder / '01-basics'}:1: duplicate lesson number '02'"]


def test_an_out_of_range_number_in_course_yml_is_reported(tmp_path):
    folder = write_course(tmp_path, "demo-course")
    text = (folder / "course.yml").read_text(encoding="utf-8").replace("pass_mark: 80", "pass_mark: 180")
    (folder / "course.yml").write_text(text, encoding="utf-8")

    _, problems = read_course(folder)

    assert messages(problems) == [f"{folder / 'course.yml'}:1: 'pass_mark' must be between 1 and 100"]


def test_lesson_text_is_stored_in_nfc_so_vietnamese_compares_equal(tmp_path):
    folder = write_course(tmp_path, "demo-course")
    decomposed = "Hu\u031bo\u031b\u0301ng da\u0302\u0303n"  # "Hướng dẫn" typed with combining marks
    write_lesson(folder / "01-basics", 1, "welcome", "vi", lesson_file(decomposed, "Chữ.\n"))

    course, _ = read_course(folder)

    assert course.modules[0].lessons[0].texts["vi"].title == "Hướng dẫn"


def test_front_matter_is_split_from_the_body():
    meta, body, first_line, error = split_front_matter('---\ntitle: "A"\nminutes: 3\n---\n\n## Body\n')

    assert error is None
    assert meta == {"title": "A", "minutes": 3}
    assert body.strip() == "## Body"
    assert first_line == 5


def test_course_folders_and_banks_are_found_under_the_given_paths(tmp_path):
    write_course(tmp_path, "first-course")
    write_course(tmp_path, "second-course")
    (tmp_path / "quizzes" / "notes.txt").write_text("not a bank", encoding="utf-8")

    folders = find_course_folders([tmp_path / "courses"])
    banks = find_banks([tmp_path / "quizzes"])

    assert [f.name for f in folders] == ["first-course", "second-course"]
    assert sorted(banks) == ["first-course", "second-course"]
    assert sorted(banks["first-course"]) == ["en", "vi"]


def test_a_missing_translation_is_reported_even_when_a_lesson_with_a_similar_name_has_a_problem(tmp_path):
    folder = write_course(tmp_path, "demo-course", modules=(("basics", ("boxes", "gift-boxes")),))
    (folder / "01-basics" / "01-boxes.vi.md").unlink()
    broken = write_lesson(folder / "01-basics", 2, "gift-boxes", "vi", "No front matter.\n")

    _, problems = read_course(folder)

    assert sorted(messages(problems)) == sorted([
        f"{folder / '01-basics' / '01-boxes.vi.md'}:1: missing the Vietnamese version of this lesson",
        f"{broken}:1: the lesson must start with '---' front matter (title, minutes)",
    ])
