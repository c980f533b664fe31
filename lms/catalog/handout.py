"""A printable PDF of a whole course for offline reading (WeasyPrint), rendered once per version and language."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app, render_template
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.catalog.models import Course, CourseAsset
from lms.config import ROOT
from lms.storage import FileStorage

STATIC = ROOT / "static"


def _fetcher_for(session: Session, course: Course, store: FileStorage):
    """Fetch only data: URLs, our static files and this course's assets; anything else is refused (no network)."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    assets = {a.name: a for a in session.scalars(select(CourseAsset).where(CourseAsset.course_id == course.id))}
    prefix = f"/courses/{course.slug}/assets/"

    class LocalOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            path = urlsplit(url).path
            if path.startswith("/static/"):
                local = (STATIC / path[len("/static/"):]).resolve()
                if STATIC.resolve() in local.parents and local.is_file():
                    return URLFetcherResponse(url, local.read_bytes())
            if path.startswith(prefix) and path[len(prefix):] in assets:
                asset = assets[path[len(prefix):]]
                data = store.get(f"course-assets/{course.slug}/{asset.sha256}")
                return URLFetcherResponse(url, data, {"Content-Type": asset.content_type})
            raise ValueError(f"refused to fetch {url!r}")

    return LocalOnlyFetcher()


def course_handout(session: Session, course: Course, outline, lang: str, store: FileStorage) -> Path:
    """Return the stored PDF of the course in `lang`, rendering it the first time this version is asked for."""
    key = f"handouts/{course.slug}/{course.content_hash or course.version}-{lang}.pdf"
    if not store.exists(key):
        from weasyprint import HTML

        html = render_template("catalog/handout.html", course=course, outline=outline, lang=lang)
        pdf = HTML(string=html, base_url=current_app.config["PUBLIC_URL"] + "/", url_fetcher=_fetcher_for(session, course, store)).write_pdf()
        store.put(key, pdf)
    return store.local_path(key)
