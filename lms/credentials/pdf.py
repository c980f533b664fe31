"""A certificate as a one-page A4 landscape PDF (WeasyPrint): bilingual text, bundled fonts, a QR code to verify. Pure."""
from __future__ import annotations

import base64
import io
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import jinja2
import segno
from PIL import Image
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from lms.credentials.claims import CertificateClaims


@dataclass(frozen=True)
class CertificateLabels:
    """The fixed texts of a certificate: Vietnamese first, the English subtitle printed smaller beneath."""

    heading_vi: str = "CHỨNG NHẬN"
    heading_en: str = "Certificate"
    awarded_to_vi: str = "Chứng nhận ông/bà"
    awarded_to_en: str = "This is to certify that"
    completed_vi: str = "đã hoàn thành khóa học"
    completed_en: str = "has completed the course"
    version_vi: str = "Phiên bản"
    version_en: str = "Version"
    issued_vi: str = "Cấp"  # followed by "ngày 27 tháng 11 năm 2026"
    issued_en: str = "Issued"
    expires_vi: str = "Có giá trị đến"
    expires_en: str = "Valid until"
    first_awarded_vi: str = "Cấp lần đầu"
    first_awarded_en: str = "First awarded"
    code_vi: str = "Mã chứng nhận"
    code_en: str = "Certificate code"
    verify_vi: str = "Kiểm tra tại:"
    verify_en: str = "Scan the QR code or open the address above to verify"
    document_title: str = "Chứng nhận"


def format_date_vi(value: date) -> str:
    """A date as Vietnamese official documents write it: "ngày 05 tháng 02 năm 2026", "ngày 27 tháng 11 năm 2026".

    Days below 10 and the months 1 and 2 take a leading zero (Nghị định 30/2020/NĐ-CP), so "1" cannot be turned into "11" or "12" by hand.
    """
    month = f"{value.month:02d}" if value.month <= 2 else str(value.month)
    return f"ngày {value.day:02d} tháng {month} năm {value.year}"


class FetchRefused(ValueError):
    """WeasyPrint asked for a resource outside what a certificate may use."""


class StaticOnlyFetcher(URLFetcher):
    """Serve data: URLs and files inside `static_folder`; refuse everything else (network, other files, traversal).

    Refusals abort the rendering (fail_on_errors): the template asks only for the fonts and the QR image,
    so a refusal means a missing font or a bug, and a certificate in a fallback font must not be issued.
    """

    def __init__(self, static_folder: Path):
        super().__init__(allowed_protocols=("data",), allow_redirects=False, fail_on_errors=True)
        self.root = Path(static_folder).resolve()

    def fetch(self, url, headers=None):
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            parts = urlsplit(url)
            if parts.netloc in ("", "localhost"):
                local = Path(url2pathname(parts.path)).resolve()
                if local.is_relative_to(self.root) and local.is_file():
                    return URLFetcherResponse(local.as_uri(), local.read_bytes())
        raise FetchRefused(f"refused to fetch {url[:200]!r}")


# Any of the eight masks gives a valid code; scoring all eight (to avoid blocks and finder-like patterns, which a
# random-looking signed token seldom forms) took 50 of the QR code's 60 ms. The decoding test reads the result.
QR_MASK = 0
QR_SCALE, QR_BORDER = 4, 4  # pixels per module; modules of quiet zone


def qr_data_uri(text: str) -> str:
    """A PNG QR code of `text` (error correction M, version chosen to fit, 4-module quiet zone) as a data: URI.

    The PNG is 8-bit greyscale, written by Pillow: WeasyPrint embeds such an image as it is, while segno's 1-bit
    PNG was converted to RGB and compressed twice, and segno writes PNGs in pure Python.
    """
    qr = segno.make_qr(text, error="m", boost_error=False, mask=QR_MASK)
    size = qr.symbol_size(scale=1, border=QR_BORDER)[0]
    pixels = bytes(0 if dark else 255 for row in qr.matrix_iter(scale=1, border=QR_BORDER) for dark in row)
    image = Image.frombytes("L", (size, size), pixels).resize((size * QR_SCALE, size * QR_SCALE), Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def short_verify_url(verify_link: str) -> str:
    """The verify link without its fragment (the signed token), short enough to print and type."""
    return verify_link.split("#", 1)[0]


# The name, business and course title shrink in these steps until the certificate fits one page.
_SCALES = (1.0, 0.8, 0.65, 0.5)


def _font_sizes(scale: float) -> dict[str, str]:
    """Point sizes of the variable-length texts at a shrink step; the smaller texts stop at a legible floor."""
    sizes = {"holder": max(30 * scale, 12), "business": max(14 * scale, 9), "course": max(20 * scale, 11), "course_en": max(13 * scale, 9)}
    return {name: f"{size:.1f}" for name, size in sizes.items()}


_env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)

# Everything but the shrinking text sizes: parsed once per thread with its fonts (see _prepared).
_STYLESHEET = _env.from_string("""
@font-face { font-family: "Cert Sans"; font-weight: 400; src: url("{{ font_regular }}") format("truetype"); }
@font-face { font-family: "Cert Sans"; font-weight: 700; src: url("{{ font_bold }}") format("truetype"); }
@page {
  size: A4 landscape;
  margin: 9mm;
  padding: 4mm;
  border: 0.6mm solid #7a5c1e;
  outline: none;
}
/* break-word, not anywhere: both break a word too long for its line, but `anywhere` also lets every character
   count as a break when table columns are sized, which took a third of the layout time */
html { font-family: "Cert Sans"; color: #1d1d1b; font-size: 10.5pt; line-height: 1.25; overflow-wrap: break-word; }
body { margin: 0; }
p { margin: 0; }
/* Plain blocks, not flexbox or table heights: a block that outgrows the page moves the footer onto a second
   page, which render_certificate_pdf detects; overflowing flex items were dropped silently. */
.sheet { border: 0.25mm solid #b08d3c; padding: 7mm 14mm; }
.top { min-height: 107mm; text-align: center; }
.footer { height: 60mm; }
/* fixed: the columns take the widths below, without measuring every word of every cell first */
.footer table { width: 100%; border-collapse: collapse; table-layout: fixed; }
.footer td { vertical-align: bottom; padding: 0; }
.en { color: #5b5b57; font-size: 0.85em; }
.issuer { font-weight: 700; font-size: 12pt; letter-spacing: 0.04em; color: #7a5c1e; }
.issuer-url { font-size: 9pt; color: #5b5b57; }
h1 { font-size: 30pt; font-weight: 700; letter-spacing: 0.12em; margin: 4mm 0 0; color: #7a5c1e; line-height: 1.1; }
h1 + .en { font-size: 12pt; letter-spacing: 0.2em; text-transform: uppercase; margin-bottom: 3mm; }
.holder { font-weight: 700; margin: 2mm 0 1mm; line-height: 1.15; }
.province { font-size: 11pt; margin-top: 0.5mm; }
.completed { margin-top: 3mm; }
.course { font-weight: 700; margin-top: 2mm; }
.course-en { color: #5b5b57; }
.small { font-size: 9.5pt; }
.dates { width: 70mm; font-size: 9.5pt; }
.dates p { margin-top: 2mm; }
.code-box { text-align: center; width: 70mm; padding-bottom: 4mm; }
.code { font-weight: 700; font-size: 14pt; letter-spacing: 0.04em; font-variant-numeric: tabular-nums; white-space: nowrap; border: 0.3mm solid #b08d3c; padding: 1.5mm 3mm; margin-top: 1mm; display: inline-block; }
.qr-box { width: 86mm; text-align: center; }
.qr { width: 45mm; height: 45mm; image-rendering: pixelated; display: block; margin: 0 auto 1mm; }
.verify { font-size: 8pt; }
""")

_TEMPLATE = _env.from_string("""<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<title>{{ labels.document_title }} {{ claims.code }}</title>
<meta name="author" content="{{ claims.issuer.name }}">
<style>
.holder { font-size: {{ sizes.holder }}pt; }
.business { font-size: {{ sizes.business }}pt; }
.course { font-size: {{ sizes.course }}pt; }
.course-en { font-size: {{ sizes.course_en }}pt; }
</style>
</head>
<body>
<div class="sheet">
  <div class="top">
    <div class="issuer">{{ claims.issuer.name }}</div>
    {% if claims.issuer.url %}<div class="issuer-url">{{ claims.issuer.url }}</div>{% endif %}
    <h1>{{ labels.heading_vi }}</h1>
    <div class="en">{{ labels.heading_en }}</div>
    <p>{{ labels.awarded_to_vi }} <span class="en">/ {{ labels.awarded_to_en }}</span></p>
    <div class="holder">{{ claims.holder_name }}</div>
    {% if claims.business %}<div class="business">{{ claims.business }}</div>{% endif %}
    {% if claims.province %}<div class="province">{{ claims.province }}</div>{% endif %}
    <p class="completed">{{ labels.completed_vi }} <span class="en">/ {{ labels.completed_en }}</span></p>
    <div class="course">{{ claims.course_title_vi }}</div>
    {% if claims.course_title_en %}<div class="course-en">{{ claims.course_title_en }}</div>{% endif %}
    <p class="small">{{ labels.version_vi }} {{ claims.course_version }} <span class="en">/ {{ labels.version_en }} {{ claims.course_version }}</span></p>
  </div>
  <div class="footer"><table><tbody><tr>
    <td class="dates">
      <p>{{ labels.issued_vi }} {{ issued_vi }}<br><span class="en">{{ labels.issued_en }} {{ claims.issued_on.isoformat() }}</span></p>
      <p>{{ labels.expires_vi }} {{ expires_vi }}<br><span class="en">{{ labels.expires_en }} {{ claims.expires_on.isoformat() }}</span></p>
      {% if awarded_vi %}<p>{{ labels.first_awarded_vi }} {{ awarded_vi }}<br><span class="en">{{ labels.first_awarded_en }} {{ claims.awarded_on.isoformat() }}</span></p>{% endif %}
    </td>
    <td class="code-box">
      <div class="small">{{ labels.code_vi }} <span class="en">/ {{ labels.code_en }}</span></div>
      <div class="code">{{ claims.code }}</div>
    </td>
    <td class="qr-box">
      <a href="{{ verify_link }}"><img class="qr" src="{{ qr_src }}" alt="QR"></a>
      <div class="verify">{{ labels.verify_vi }}<br>{{ verify_url }}</div>
      <div class="verify en">{{ labels.verify_en }}</div>
    </td>
  </tr></tbody></table></div>
</div>
</body>
</html>
""")


def certificate_html(claims: CertificateClaims, verify_link: str, labels: CertificateLabels | None = None, scale: float = 1.0,
                     qr_src: str | None = None) -> str:
    """The certificate as HTML for WeasyPrint (its stylesheet comes from _prepared); every claim is autoescaped text."""
    return _TEMPLATE.render(
        claims=claims,
        labels=labels or CertificateLabels(),
        verify_link=verify_link,
        verify_url=short_verify_url(verify_link),
        qr_src=qr_src or qr_data_uri(verify_link),
        issued_vi=format_date_vi(claims.issued_on),
        expires_vi=format_date_vi(claims.expires_on),
        awarded_vi=format_date_vi(claims.awarded_on) if claims.awarded_on != claims.issued_on else "",
        sizes=_font_sizes(scale),
    )


_local = threading.local()


def _prepared(static_folder: Path) -> tuple[FontConfiguration, CSS]:
    """The fonts and the parsed stylesheet, made once per thread and static folder.

    A FontConfiguration per render loaded the system's font configuration and copied both fonts into a new
    temporary folder every time: half of a certificate's time, and memory that was never given back. One per
    thread, because fontconfig and Pango objects are not meant to be shared between threads.
    """
    root = Path(static_folder).resolve()
    prepared = _local.__dict__.setdefault("prepared", {})
    if root not in prepared:
        fonts = root / "fonts"
        font_config = FontConfiguration()
        stylesheet = _STYLESHEET.render(font_regular=(fonts / "NotoSans-Regular.ttf").as_uri(), font_bold=(fonts / "NotoSans-Bold.ttf").as_uri())
        try:
            css = CSS(string=stylesheet, font_config=font_config, url_fetcher=StaticOnlyFetcher(root))
        except FatalURLFetchingError as error:
            raise FetchRefused(str(error)) from error
        prepared[root] = (font_config, css)
    return prepared[root]


def forget_prepared_fonts() -> None:
    """Drop this thread's prepared fonts and stylesheet (the next certificate prepares them again)."""
    _local.__dict__.pop("prepared", None)


def render_certificate_pdf(claims: CertificateClaims, verify_link: str, static_folder: Path, labels: CertificateLabels | None = None) -> bytes:
    """Render the certificate as a one-page A4 landscape PDF and return its bytes.

    Only the bundled fonts under `static_folder` and data: URLs are read; a missing font raises FetchRefused
    rather than printing in a fallback font. Long texts shrink until the page fits; if even the smallest step
    spills over, ValueError is raised rather than a two-page certificate.
    Same claims, link and fonts give the same bytes (no creation date, no random file identifier).
    """
    font_config, stylesheet = _prepared(static_folder)
    qr_src = qr_data_uri(verify_link)  # the same at every shrink step
    for scale in _SCALES:
        html = certificate_html(claims, verify_link, labels, scale, qr_src)
        try:
            document = HTML(string=html, url_fetcher=StaticOnlyFetcher(static_folder)).render(font_config=font_config, stylesheets=[stylesheet])
        except FatalURLFetchingError as error:
            # A BaseException in WeasyPrint: it would slip past every `except Exception` up to the WSGI server.
            raise FetchRefused(str(error)) from error
        if len(document.pages) == 1:
            return document.write_pdf()
    raise ValueError("certificate text too long to fit on one page")
