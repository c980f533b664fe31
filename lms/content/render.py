"""Lesson Markdown to sanitised HTML (done once, at import or save) and video allow-listing. Pure."""
from __future__ import annotations

import html
import posixpath
import re
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import parse_qs, quote, urlsplit

import markdown
import nh3
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

ALLOWED_TAGS = {
    "p", "h2", "h3", "h4", "h5", "ul", "ol", "li", "strong", "em", "b", "i", "code", "pre", "blockquote",
    "table", "thead", "tbody", "tr", "th", "td", "a", "img", "hr", "br", "sup", "sub", "dl", "dt", "dd",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height", "loading", "decoding"},
    "th": {"align"},
    "td": {"align"},
}
URL_SCHEMES = {"http", "https", "mailto"}


@dataclass(frozen=True)
class AssetInfo:
    url: str
    width: int | None = None
    height: int | None = None


@dataclass
class Rendered:
    html: str
    problems: list[str] = field(default_factory=list)


class _LinkRewriter(Treeprocessor):
    def __init__(self, md, resolve_asset, resolve_lesson, problems):
        super().__init__(md)
        self.resolve_asset = resolve_asset
        self.resolve_lesson = resolve_lesson
        self.problems = problems

    def run(self, root):
        for element in root.iter():
            if element.tag == "img":
                self._image(element)
            elif element.tag == "a":
                self._link(element)
            elif element.tag == "h1":
                element.tag = "h2"  # the page owns the one h1: the lesson title

    def _image(self, element):
        src = element.get("src", "")
        name = asset_name(src)
        info = self.resolve_asset(name) if name else None
        if info is None:
            self.problems.append(f"image '{src}' is not a file in the course's assets/ folder")
            element.set("src", "")
            return
        element.set("src", info.url)
        element.set("loading", "lazy")
        element.set("decoding", "async")
        if info.width and info.height:
            element.set("width", str(info.width))
            element.set("height", str(info.height))

    def _link(self, element):
        href = element.get("href", "")
        scheme = urlsplit(href).scheme.lower()
        if scheme in URL_SCHEMES or href.startswith("#"):
            return
        if scheme:
            self.problems.append(f"link '{href}' uses a scheme that is not allowed")
            element.set("href", "#")
            return
        name = asset_name(href)
        if name is not None:
            info = self.resolve_asset(name)
            if info is None:
                self.problems.append(f"link '{href}' points to a missing asset")
                element.set("href", "#")
            else:
                element.set("href", info.url)
            return
        target = self.resolve_lesson(href)
        if target is None:
            self.problems.append(f"link '{href}' does not point to a lesson of this course")
            element.set("href", "#")
        else:
            element.set("href", target)


class _Rewrite(Extension):
    def __init__(self, resolve_asset, resolve_lesson, problems):
        super().__init__()
        self.args = (resolve_asset, resolve_lesson, problems)

    def extendMarkdown(self, md):
        md.treeprocessors.register(_LinkRewriter(md, *self.args), "lms_links", 1)


def asset_name(reference: str) -> str | None:
    """'assets/a.png' or '../assets/a.png' -> 'a.png'; None if it is not inside assets/ (no traversal)."""
    path = urlsplit(reference).path
    if not path or path.startswith("/"):
        return None
    parts = path.split("/")
    while parts and parts[0] == "..":
        parts.pop(0)
    if not parts or parts[0] != "assets":
        return None
    normalised = posixpath.normpath("/".join(parts[1:]))
    if normalised in {".", ""} or normalised.startswith("..") or "/../" in f"/{normalised}/":
        return None
    return normalised


def render_markdown(
    body: str,
    resolve_asset: Callable[[str], AssetInfo | None] = lambda name: None,
    resolve_lesson: Callable[[str], str | None] = lambda href: None,
) -> Rendered:
    """Render lesson Markdown; raw HTML is escaped by the sanitiser, links and images are checked."""
    problems: list[str] = []
    converter = markdown.Markdown(
        extensions=["tables", "sane_lists", "fenced_code", _Rewrite(resolve_asset, resolve_lesson, problems)],
        output_format="html",
    )
    # raw HTML in lessons is shown as text, never passed through
    converter.preprocessors.deregister("html_block")
    converter.inlinePatterns.deregister("html")
    html = converter.convert(body)
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        clean_content_tags={"script", "style"},
        link_rel="noopener noreferrer nofollow",
    )
    return Rendered(html=clean, problems=problems)


def _own_images_only(element: str, attribute: str, value: str) -> str | None:
    """An image in a question comes from this site: one from elsewhere would tell a third party who takes the quiz."""
    if element == "img" and attribute == "src" and (urlsplit(value).scheme or value.startswith("//")):
        return None
    return value


def render_question_text(text: str, text_format: str = "moodle") -> str:
    """A question's text as safe HTML: Markdown rendered, HTML sanitised, plain text escaped."""
    if text_format == "markdown":
        return render_markdown(text).html
    if text_format in {"moodle", "html"}:
        return nh3.clean(text.replace("\n", "<br>"), tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
                         clean_content_tags={"script", "style"}, link_rel="noopener noreferrer nofollow", attribute_filter=_own_images_only)
    return html.escape(text).replace("\n", "<br>")


_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{6,20}$")


def video_embed(url: str | None) -> str | None:
    """The embeddable address of an allow-listed video (YouTube, TikTok, Facebook), else None."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme != "https":
        return None
    host = (parts.hostname or "").lower()
    if host in {"www.youtube.com", "youtube.com", "m.youtube.com"}:
        video = parse_qs(parts.query).get("v", [""])[0] if parts.path == "/watch" else parts.path.rsplit("/", 1)[-1]
        return f"https://www.youtube-nocookie.com/embed/{video}" if _YOUTUBE_ID.match(video) else None
    if host == "youtu.be":
        video = parts.path.lstrip("/")
        return f"https://www.youtube-nocookie.com/embed/{video}" if _YOUTUBE_ID.match(video) else None
    if host in {"www.tiktok.com", "tiktok.com"}:
        match = re.search(r"/video/(\d{8,25})$", parts.path)
        return f"https://www.tiktok.com/embed/v2/{match.group(1)}" if match else None
    if host in {"www.facebook.com", "facebook.com", "fb.watch"}:
        return "https://www.facebook.com/plugins/video.php?href=" + quote(url.strip(), safe="")
    return None


VIDEO_FRAME_SOURCES = "https://www.youtube-nocookie.com https://www.tiktok.com https://www.facebook.com"
