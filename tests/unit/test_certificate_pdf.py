"""The certificate PDF: one landscape page, Vietnamese text intact, embedded fonts, a QR code and link to verify, no fetching."""
import base64
import io
import unicodedata
from dataclasses import replace
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from lms.credentials.claims import CertificateClaims, Issuer
from lms.credentials.pdf import FetchRefused, StaticOnlyFetcher, forget_prepared_fonts, format_date_vi, render_certificate_pdf

STATIC = Path(__file__).resolve().parents[2] / "static"
FONTS = {(STATIC / "fonts" / name).resolve() for name in ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf")}
# A compact JWS is ~700 characters; the fragment is what makes the QR code large.
TOKEN = "eyJhbGciOiJFZERTQSIsImtpZCI6IjIwMjYtMDEiLCJ0eXAiOiJKV1QifQ." + "eyJjb2RlIjoiN0szTS05UVgyLVQ4SEQtNEY2Ui1YIn0" * 13 + ".c2lnbmF0dXJlX29mX3RoZV9jbGFpbXNfX18tX2FiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6MDEyMzQ1"
VERIFY_LINK = f"https://academy.example.vn/verify/7K3M-9QX2-T8HD-4F6R-X#{TOKEN}"


def make_claims(**changes) -> CertificateClaims:
    claims = CertificateClaims(
        code="7K3M-9QX2-T8HD-4F6R-X",
        issuer=Issuer(name="Trung tâm Xúc tiến Thương mại Nông nghiệp (Agritrade)", url="https://academy.example.vn"),
        course_slug="dong-goi-ghi-nhan",
        course_title_vi="Đóng gói và ghi nhãn",
        course_title_en="Packaging and labelling",
        course_version=3,
        holder_name="Nguyễn Thị Hồng Nhung",
        business="HTX Mật ong Bắc Hà",
        province="Lào Cai",
        issued_on=date(2026, 11, 27),
        awarded_on=date(2024, 2, 5),
        expires_on=date(2028, 11, 27),
        status_list="1",
        status_index=42,
        kid="2026-01",
    )
    return replace(claims, **changes)


def render_recording(claims, verify_link=VERIFY_LINK):
    """Render while recording every URL WeasyPrint asks the fetcher for; returns (pdf bytes, urls)."""
    requested = []
    original = StaticOnlyFetcher.fetch
    forget_prepared_fonts()  # the fonts are fetched once per thread: make this render fetch them again

    def spy(self, url, headers=None):
        requested.append(url)
        return original(self, url, headers)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(StaticOnlyFetcher, "fetch", spy)
        pdf = render_certificate_pdf(claims, verify_link, STATIC)
    return pdf, requested


def local_path(file_url: str) -> Path:
    return Path(url2pathname(urlsplit(file_url).path)).resolve()


def page_text(pdf: bytes) -> str:
    return unicodedata.normalize("NFC", PdfReader(io.BytesIO(pdf)).pages[0].extract_text())


def squeezed(text: str) -> str:
    """Text without whitespace, so a string the layout wrapped onto two lines still matches."""
    return "".join(text.split())


@pytest.fixture(scope="module")
def rendered():
    return render_recording(make_claims())


@pytest.fixture(scope="module")
def pdf(rendered):
    return rendered[0]


@pytest.fixture(scope="module")
def page(pdf):
    return PdfReader(io.BytesIO(pdf)).pages[0]


def test_the_certificate_is_one_a4_landscape_page(pdf, page):
    assert pdf.startswith(b"%PDF-")
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    assert width > height
    assert (round(width * 25.4 / 72), round(height * 25.4 / 72)) == (297, 210)


@pytest.mark.parametrize("expected", ["Nguyễn Thị Hồng Nhung", "HTX Mật ong Bắc Hà", "Lào Cai", "Đóng gói và ghi nhãn", "Packaging and labelling", "CHỨNG NHẬN", "Trung tâm Xúc tiến Thương mại Nông nghiệp (Agritrade)", "7K3M-9QX2-T8HD-4F6R-X"])
def test_vietnamese_text_comes_out_of_the_pdf_with_every_diacritic(pdf, expected):
    assert unicodedata.normalize("NFC", expected) in page_text(pdf)


def test_dates_are_written_the_vietnamese_way(pdf):
    text = page_text(pdf)

    assert "Cấp ngày 27 tháng 11 năm 2026" in text
    assert "Có giá trị đến ngày 27 tháng 11 năm 2028" in text
    assert "Cấp lần đầu ngày 05 tháng 02 năm 2024" in text


def test_the_date_formatter_pads_days_and_the_first_two_months():
    assert format_date_vi(date(2026, 11, 27)) == "ngày 27 tháng 11 năm 2026"
    assert format_date_vi(date(2024, 2, 5)) == "ngày 05 tháng 02 năm 2024"
    assert format_date_vi(date(2025, 7, 14)) == "ngày 14 tháng 7 năm 2025"


def test_the_first_award_date_is_left_out_when_it_is_the_issue_date():
    pdf = render_certificate_pdf(make_claims(awarded_on=date(2026, 11, 27)), VERIFY_LINK, STATIC)

    assert "Cấp lần đầu" not in page_text(pdf)


def test_the_short_verify_address_is_printed_without_the_token(pdf):
    text = squeezed(page_text(pdf))

    assert "Kiểmtratại:https://academy.example.vn/verify/7K3M-9QX2-T8HD-4F6R-X" in text
    assert TOKEN[:40] not in text


def test_every_font_is_embedded_and_is_the_bundled_noto_sans(page):
    fonts = [font.get_object() for font in page["/Resources"]["/Font"].values()]

    assert fonts
    for font in fonts:
        descriptor_owner = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        descriptor = descriptor_owner["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor or "/FontFile3" in descriptor, font["/BaseFont"]
        # The @font-face family is "Cert Sans"; a system fallback font would show up under its own name.
        assert str(font["/BaseFont"]).split("+")[-1] in {"Cert-Sans", "Cert-Sans-Bold"}


def test_only_the_bundled_fonts_and_the_inline_qr_image_are_fetched(rendered):
    _, requested = rendered
    files = {local_path(url) for url in requested if url.startswith("file:")}

    assert files == FONTS
    assert all(url.startswith(("file:", "data:")) for url in requested)
    assert sum(url.startswith("data:image/png;base64,") for url in requested) == 1


def test_the_qr_code_decodes_to_exactly_the_verify_link(page):
    images = page.images
    assert len(images) == 1

    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(images[0].data)))

    assert [result.text for result in results] == [VERIFY_LINK]


def test_the_qr_code_is_printed_45_mm_wide_with_sharp_modules(page):
    drawn = []

    def record_image_matrix(operator, operands, cm, tm):
        if operator == b"Do":
            drawn.append(cm)

    page.extract_text(visitor_operand_before=record_image_matrix)

    assert len(drawn) == 1
    width_mm, height_mm = (drawn[0][0] * 25.4 / 72, drawn[0][3] * 25.4 / 72)
    assert width_mm == pytest.approx(45, abs=0.5) and height_mm == pytest.approx(45, abs=0.5)
    image = next(iter(page["/Resources"]["/XObject"].values())).get_object()
    assert image["/Interpolate"] == False  # noqa: E712 - a pypdf BooleanObject is always truthy


def test_the_pdf_links_to_the_verify_link(page):
    uris = [annotation.get_object()["/A"]["/URI"] for annotation in page["/Annots"] if annotation.get_object()["/Subtype"] == "/Link"]

    assert uris
    assert set(uris) == {VERIFY_LINK}


def test_the_same_claims_render_to_the_same_bytes(pdf):
    assert render_certificate_pdf(make_claims(), VERIFY_LINK, STATIC) == pdf


def test_html_in_a_name_or_business_is_printed_as_text_and_fetches_nothing():
    holder = '<img src="http://169.254.169.254/latest/meta-data">'
    business = '<link rel="stylesheet" href="file:///etc/passwd">'

    pdf, requested = render_recording(make_claims(holder_name=holder, business=business))

    text = squeezed(page_text(pdf))
    assert squeezed(holder) in text
    assert squeezed(business) in text
    assert not [url for url in requested if "169.254" in url or "passwd" in url]
    assert all(url.startswith("data:") or local_path(url) in FONTS for url in requested)


def test_a_very_long_name_and_business_wrap_and_stay_on_one_page():
    holder = " ".join(["Tôn Nữ Hoàng Phương Thảo Nguyễn Thị Hồng Nhung"] * 3)
    business = " ".join(["Hợp tác xã Nông nghiệp Dịch vụ Tổng hợp Mật ong Bắc Hà"] * 3)

    pdf = render_certificate_pdf(make_claims(holder_name=holder, business=business), VERIFY_LINK, STATIC)

    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    text = squeezed(page_text(pdf))
    assert squeezed(holder) in text
    assert squeezed(business) in text
    assert "7K3M-9QX2-T8HD-4F6R-X" in text  # the footer survived the long text


def test_a_missing_font_stops_the_rendering_instead_of_falling_back(tmp_path):
    with pytest.raises(FetchRefused):
        render_certificate_pdf(make_claims(), VERIFY_LINK, tmp_path)


# --- the URL fetcher ---


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/",
        "https://fonts.example.com/NotoSans-Regular.ttf",
        "ftp://example.com/x",
        "file:///etc/passwd",
        (STATIC / ".." / "secret").as_uri(),
        (STATIC / "fonts" / ".." / ".." / "pyproject.toml").as_uri(),
        STATIC.as_uri() + "/fonts/%2e%2e/%2e%2e/pyproject.toml",
        "file://evil.example.com" + (STATIC / "fonts" / "NotoSans-Regular.ttf").as_posix(),
        (STATIC / "fonts").as_uri(),
        "fonts/NotoSans-Regular.ttf",
    ],
)
def test_the_fetcher_refuses_the_network_other_files_and_traversal(url):
    with pytest.raises(FetchRefused):
        StaticOnlyFetcher(STATIC).fetch(url)


def test_the_fetcher_serves_a_font_file_inside_the_static_folder():
    font = STATIC / "fonts" / "NotoSans-Regular.ttf"

    response = StaticOnlyFetcher(STATIC).fetch(font.as_uri())

    assert response.read() == font.read_bytes()


def test_the_fetcher_serves_data_urls():
    url = "data:text/plain;base64," + base64.b64encode("Xin chào".encode()).decode()

    response = StaticOnlyFetcher(STATIC).fetch(url)

    assert response.read().decode() == "Xin chào"
