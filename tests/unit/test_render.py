"""Lesson Markdown becomes safe HTML: sanitised, images lazy with sizes, assets and lesson links checked, videos allow-listed."""
import pytest
from content_factory import lesson_file, write_course, write_lesson
from PIL import Image

from lms.content.checks import Bundle, image_size, render_course
from lms.content.files import read_course
from lms.content.render import AssetInfo, asset_name, render_markdown, video_embed


def photo_resolver(name):
    return AssetInfo(f"/courses/demo-course/assets/{name}", 640, 480) if name == "photo.png" else None


def rendered_course(folder):
    """Read a course folder and render it as the checker does; returns the bundle (html and problems)."""
    course, problems = read_course(folder)
    assert problems == []
    bundle = Bundle(course=course)
    render_course(bundle, {name: image_size(path) for name, path in course.assets.items()})
    return bundle


# --- sanitising ---


def test_a_script_tag_in_a_lesson_is_shown_as_text_never_run():
    html = render_markdown("Xin chào\n\n<script>alert('x')</script>\n").html

    assert "<script" not in html
    assert "&lt;script&gt;" in html


def test_an_inline_script_tag_is_shown_as_text_never_run():
    html = render_markdown("Giá <script>steal()</script> hôm nay").html

    assert "<script" not in html
    assert "&lt;script&gt;" in html


def test_an_event_handler_in_raw_html_cannot_run():
    html = render_markdown('<img src="x" onerror="alert(1)">\n\nChữ <a href="#" onclick="alert(1)">bấm</a>\n').html

    assert "<img" not in html and "<a " not in html
    assert "&lt;img" in html


def test_raw_html_is_escaped_so_authors_see_their_mistake():
    html = render_markdown("Chữ <b>đậm</b> và <iframe src='https://evil.example'></iframe>\n").html

    assert "<b>" not in html and "<iframe" not in html
    assert "&lt;b&gt;đậm&lt;/b&gt;" in html


def test_a_javascript_link_is_reported_and_neutralised():
    result = render_markdown("[Bấm vào đây](javascript:alert(1))\n")

    assert "javascript:" not in result.html
    assert result.problems == ["link 'javascript:alert(1)' uses a scheme that is not allowed"]


def test_a_data_url_image_is_not_shown():
    result = render_markdown("![x](data:image/png;base64,AAAA)\n", photo_resolver)

    assert "data:" not in result.html
    assert result.problems


def test_ordinary_markdown_keeps_its_structure_and_top_headings_become_h2():
    html = render_markdown("# Tiêu đề\n\n## Phần\n\n- **một**\n- *hai*\n\n| A | B |\n|---|---|\n| 1 | 2 |\n\n> trích dẫn\n").html

    assert "<h1" not in html
    assert "<h2>Tiêu đề</h2>" in html and "<h2>Phần</h2>" in html
    assert "<strong>một</strong>" in html and "<em>hai</em>" in html
    assert "<table>" in html and "<td>1</td>" in html
    assert "<blockquote>" in html


def test_an_outside_link_is_kept_and_marked_nofollow():
    html = render_markdown("[Luật](https://thuvienphapluat.vn/van-ban/abc)\n").html

    assert 'href="https://thuvienphapluat.vn/van-ban/abc"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


# --- images and assets ---


def test_an_image_gets_lazy_loading_and_its_width_and_height():
    result = render_markdown("![Hộp quà](assets/photo.png)\n", photo_resolver)

    assert result.problems == []
    assert 'src="/courses/demo-course/assets/photo.png"' in result.html
    assert 'loading="lazy"' in result.html
    assert 'width="640"' in result.html and 'height="480"' in result.html
    assert 'alt="Hộp quà"' in result.html


def test_an_image_from_a_lesson_folder_may_climb_to_the_course_assets():
    result = render_markdown("![Hộp](../assets/photo.png)\n", photo_resolver)

    assert result.problems == []
    assert 'src="/courses/demo-course/assets/photo.png"' in result.html


@pytest.mark.parametrize("reference", ["assets/../../etc/passwd", "../assets/../../../etc/passwd", "/etc/passwd", "assets/", "assets/a/../../x.png"])
def test_an_asset_reference_that_leaves_the_assets_folder_is_refused(reference):
    assert asset_name(reference) is None


def test_an_image_outside_assets_is_reported_and_not_shown():
    result = render_markdown("![x](assets/../../etc/passwd)\n", photo_resolver)

    assert "passwd" not in result.html
    assert result.problems == ["image 'assets/../../etc/passwd' is not a file in the course's assets/ folder"]


def test_a_link_to_a_missing_asset_is_reported():
    result = render_markdown("[Tải mẫu](assets/mau-nhan.pdf)\n", photo_resolver)

    assert result.problems == ["link 'assets/mau-nhan.pdf' points to a missing asset"]
    assert 'href="#"' in result.html


def test_an_image_in_the_course_assets_gets_its_real_size(tmp_path):
    folder = write_course(tmp_path, "demo-course")
    (folder / "assets").mkdir()
    Image.new("RGB", (320, 200), "white").save(folder / "assets" / "box.png")
    write_lesson(folder / "01-basics", 1, "welcome", "vi", lesson_file("Hộp", "![Hộp](../assets/box.png)\n"))

    bundle = rendered_course(folder)

    html = bundle.rendered[("basics", "welcome", "vi")]
    assert bundle.problems == []
    assert 'src="/courses/demo-course/assets/box.png"' in html
    assert 'width="320"' in html and 'height="200"' in html and 'loading="lazy"' in html


def test_a_traversal_link_in_a_lesson_is_reported_at_its_file_and_line(tmp_path):
    folder = write_course(tmp_path, "demo-course")
    path = write_lesson(folder / "01-basics", 1, "welcome", "vi", lesson_file("Hộp", "Dòng một.\n\nXem ![mật khẩu](assets/../../etc/passwd)\n"))

    bundle = rendered_course(folder)

    assert [str(p) for p in bundle.problems] == [f"{path}:8: image 'assets/../../etc/passwd' is not a file in the course's assets/ folder"]


# --- links between lessons ---


def test_a_link_to_a_sibling_lesson_becomes_its_web_address(tmp_path):
    folder = write_course(tmp_path, "demo-course")
    write_lesson(folder / "01-basics", 1, "welcome", "vi", lesson_file("A", "Xem [hộp](../02-shipping/01-boxes.vi.md) và [giá](02-prices.vi.md#ban-le).\n"))

    bundle = rendered_course(folder)

    html = bundle.rendered[("basics", "welcome", "vi")]
    assert bundle.problems == []
    assert 'href="/courses/demo-course/shipping/boxes"' in html
    assert 'href="/courses/demo-course/basics/prices"' in html


def test_a_broken_lesson_link_is_reported_at_its_file_and_line(tmp_path):
    folder = write_course(tmp_path, "demo-course")
    path = write_lesson(folder / "01-basics", 1, "welcome", "en", lesson_file("A", "First line.\n\nSee [boxes](../02-shipping/07-crates.en.md).\n"))

    bundle = rendered_course(folder)

    assert [str(p) for p in bundle.problems] == [f"{path}:8: link '../02-shipping/07-crates.en.md' does not point to a lesson of this course"]
    assert 'href="#"' in bundle.rendered[("basics", "welcome", "en")]


def test_a_link_to_the_other_language_of_a_lesson_is_reported(tmp_path):
    folder = write_course(tmp_path, "demo-course")
    path = write_lesson(folder / "01-basics", 1, "welcome", "en", lesson_file("A", "See [prices](02-prices.vi.md).\n"))

    bundle = rendered_course(folder)

    assert [p.file for p in bundle.problems] == [str(path)]
    assert "does not point to a lesson" in bundle.problems[0].message


def test_a_link_with_the_wrong_number_prefix_is_reported(tmp_path):
    folder = write_course(tmp_path, "demo-course")
    write_lesson(folder / "01-basics", 1, "welcome", "vi", lesson_file("A", "Xem [giá](05-prices.vi.md).\n"))

    bundle = rendered_course(folder)

    assert len(bundle.problems) == 1


# --- videos ---


@pytest.mark.parametrize(
    ("url", "embed"),
    [
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        ("https://youtu.be/dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        ("https://www.youtube.com/shorts/dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        ("https://www.tiktok.com/@hoptacxa/video/7301234567890123456", "https://www.tiktok.com/embed/v2/7301234567890123456"),
        ("https://www.facebook.com/hoptacxa/videos/123456789/", "https://www.facebook.com/plugins/video.php?href=https%3A%2F%2Fwww.facebook.com%2Fhoptacxa%2Fvideos%2F123456789%2F"),
    ],
)
def test_a_video_on_youtube_tiktok_or_facebook_over_https_is_embedded(url, embed):
    assert video_embed(url) == embed


@pytest.mark.parametrize(
    "url",
    [
        "http://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "http://www.tiktok.com/@a/video/7301234567890123456",
        "http://www.facebook.com/a/videos/1/",
        "https://vimeo.com/123456",
        "https://www.youtube.com.evil.example/watch?v=dQw4w9WgXcQ",
        "https://evil.example/?u=https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "javascript:alert(1)",
        "https://www.youtube.com/watch?v=<script>",
        "https://www.tiktok.com/@a/live",
        "",
        None,
    ],
)
def test_any_other_video_address_is_refused(url):
    assert video_embed(url) is None


def test_a_lesson_with_a_video_off_the_allow_list_is_reported(tmp_path):
    folder = write_course(tmp_path, "demo-course")
    path = write_lesson(folder / "01-basics", 1, "welcome", "vi", lesson_file("A", "Chữ.\n", video="http://vimeo.com/1"))

    bundle = rendered_course(folder)

    assert [str(p) for p in bundle.problems] == [f"{path}:2: video must be an https address on YouTube, TikTok or Facebook"]
