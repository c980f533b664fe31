"""A new trainer, in the browser only: writes a course in two languages with a quiz, publishes it, runs a session in
Đắk Lắk with 50 learners from a CSV file, and downloads a progress CSV that Excel opens with the Vietnamese intact."""
import csv
import io

import pytest
from playwright.sync_api import expect

from lms.extensions import db
from tests.browser.conftest import assert_accessible, log_in
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.browser

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Võ", "Đặng", "Bùi", "Đỗ"]
GIVEN = ["Thị Hồng Nhung", "Văn Đức", "Thị Ánh Tuyết", "Quốc Việt", "Thị Thu Hường"]
BUSINESSES = ["HTX Cà phê Buôn Ma Thuột", "Cơ sở Mật ong Ea Kar", "Hộ kinh doanh Sầu riêng Krông Pắc", ""]


def roster_csv(count: int = 50) -> tuple[bytes, list[str]]:
    """A roster as a trainer saves it from Excel: UTF-8, every name with diacritics, a phone number or an email address."""
    names, buffer = [], io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["full_name", "phone", "email", "province", "business_name"])
    for number in range(count):
        name = f"{FAMILY[number % 10]} {GIVEN[number // 10]}"
        names.append(name)
        phone, email = (f"09123456{number:02d}", "") if number % 2 else ("", f"hoc-vien-{number}@example.vn")
        # Phú Yên merged into Đắk Lắk in 2025: an old spreadsheet still says so
        province = "Phú Yên" if number % 7 == 0 else "Đắk Lắk"
        writer.writerow([name, phone, email, province, BUSINESSES[number % 4]])
    return buffer.getvalue().encode("utf-8"), names


def form_with_heading(page, heading: str):
    return page.locator("form").filter(has=page.get_by_role("heading", name=heading))


def test_a_new_trainer_builds_a_course_runs_a_session_of_fifty_and_downloads_the_progress_csv(live_server, browser, tmp_path):
    base, app = live_server
    with app.app_context():
        make_user(db.session, role="trainer", login="giang-vien@daklak.example.vn", name="Y Blin Niê", province="dak-lak")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, base, "giang-vien@daklak.example.vn", PASSWORD)
    page.get_by_role("button", name="English").click()

    # a draft course, in Vietnamese and English
    page.get_by_role("link", name="My courses").click()
    page.get_by_role("link", name="New course").click()
    page.get_by_label("Short name for the address (slug)").fill("ca-phe-sach")
    page.get_by_label("Title in Vietnamese").fill("Bán cà phê sạch trên sàn")
    page.get_by_label("Title in English").fill("Selling clean coffee online")
    page.get_by_label("Summary in Vietnamese").fill("Chụp ảnh, định giá và đóng gói cà phê.")
    page.get_by_label("Summary in English").fill("Photos, prices and packing for coffee.")
    page.get_by_label("Track").select_option(label="Packaging and labelling")
    page.get_by_label("Questions per attempt").fill("2")
    page.get_by_role("button", name="Create the draft").click()
    expect(page.get_by_text("The draft course is created")).to_be_visible()
    editor = page.url

    module_form = form_with_heading(page, "Add a module")
    module_form.get_by_label("Short name for the address (slug)").fill("dong-goi")
    module_form.get_by_label("Title in Vietnamese").fill("Đóng gói")
    module_form.get_by_label("Title in English").fill("Packing")
    module_form.get_by_role("button", name="Add the module").click()
    expect(page.get_by_text("The module is added.")).to_be_visible()

    lesson_form = form_with_heading(page, "Add a lesson")
    lesson_form.get_by_label("Module").select_option(label="Packing")
    lesson_form.get_by_label("Short name for the address (slug)").fill("tui-zip")
    lesson_form.get_by_label("Title in Vietnamese").fill("Túi zip có van một chiều")
    lesson_form.get_by_label("Title in English").fill("Zip bags with a one-way valve")
    lesson_form.get_by_role("button", name="Add the lesson").click()
    expect(page.get_by_text("The lesson is added. Write its text now.")).to_be_visible()
    page.get_by_label("Text in Vietnamese (Markdown)").fill("## Vì sao cần van\n\nCà phê rang **thải khí CO₂** trong nhiều ngày.")
    page.get_by_label("Text in English (Markdown)").fill("## Why a valve\n\nRoasted coffee **releases CO₂** for days.")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator(".preview strong").first).to_have_text("thải khí CO₂")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The lesson is saved.")).to_be_visible()

    # quiz questions through the question-bank forms, reached from the course editor
    page.goto(editor)
    assert_accessible(page)
    page.get_by_role("link", name="Question bank").click()
    page.get_by_role("link", name="Single choice").click()
    page.get_by_label("Title (stable key)").fill("van-mot-chieu")
    page.get_by_label("Question (Vietnamese)").fill("Van một chiều trên túi cà phê để làm gì?")
    page.get_by_label("Question (English)").fill("What is the one-way valve on a coffee bag for?")
    answers = [("100", "Cho khí CO₂ thoát ra", "To let CO₂ out"), ("0", "Để trang trí", "Decoration")]
    for number, (weight, text_vi, text_en) in enumerate(answers, 1):
        row = page.get_by_role("group", name=f"Answer {number}", exact=True)
        row.get_by_label("Weight (%)").fill(weight)
        row.get_by_label("Answer (Vietnamese)").fill(text_vi)
        row.get_by_label("Answer (English)").fill(text_en)
    page.get_by_role("button", name="Save the question").click()
    expect(page.get_by_text("Question van-mot-chieu is saved.")).to_be_visible()
    page.get_by_role("link", name="True or false").click()
    page.get_by_label("Title (stable key)").fill("rang-xong-dong-goi-ngay")
    page.get_by_label("Question (Vietnamese)").fill("Nên đóng gói cà phê ngay khi vừa rang xong, không cần van.")
    page.get_by_label("Question (English)").fill("Coffee should be sealed right after roasting, without a valve.")
    page.get_by_role("radio", name="False").check()
    page.get_by_role("button", name="Save the question").click()
    expect(page.get_by_text("Question rang-xong-dong-goi-ngay is saved.")).to_be_visible()
    expect(page.get_by_text("2 questions")).to_be_visible()

    # publish from the editor (the question bank leads back to it)
    page.get_by_role("link", name="Selling clean coffee online").first.click()
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.get_by_text("Version 1 is published.")).to_be_visible()

    # a training session in Đắk Lắk for this course
    page.get_by_role("link", name="Training sessions").click()
    page.get_by_role("link", name="New session").click()
    page.get_by_label("Name of the session").fill("Lớp bán cà phê online — Buôn Ma Thuột")
    page.get_by_label("Province or city").select_option(label="Đắk Lắk")
    page.get_by_label("Place").fill("Trung tâm Khuyến công, 12 Lê Duẩn, Buôn Ma Thuột")
    page.get_by_label("Start date").fill("2026-03-16")
    page.get_by_label("End date").fill("2026-03-18")
    page.get_by_label("Selling clean coffee online").check()
    page.get_by_role("button", name="Create the session").click()
    expect(page.get_by_text("Now add its learners.")).to_be_visible()
    expect(page.locator(".facts")).to_contain_text("Đắk Lắk")

    # 50 learners from a CSV file: preview, then apply
    data, names = roster_csv(50)
    page.get_by_role("link", name="Add learners from a CSV file").click()
    page.get_by_label("CSV file").set_input_files(files=[{"name": "hoc-vien-dak-lak.csv", "mimeType": "text/csv", "buffer": data}])
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_text("50 rows will create an account")).to_be_visible()
    expect(page.get_by_text("0 rows are rejected")).to_be_visible()
    expect(page.locator("tbody tr")).to_have_count(50)
    assert_accessible(page)
    page.get_by_role("button", name="Apply the 50 valid rows").click()
    expect(page.get_by_text("50 accounts created")).to_be_visible()
    expect(page.get_by_text("50 learners added to the session")).to_be_visible()
    page.get_by_role("link", name="Back to the session").click()
    expect(page.get_by_text("50 learners", exact=True)).to_be_visible()

    # the progress report of the session, downloaded as CSV
    page.get_by_role("link", name="Progress report").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as CSV").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    context.close()

    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert len(rows) == 50
    assert sorted(row["full_name"] for row in rows) == sorted(names)
    assert {row["province"] for row in rows} == {"Đắk Lắk"}
    assert {row["course"] for row in rows} == {"Selling clean coffee online"}
    assert {(row["lessons_done"], row["lessons_total"]) for row in rows} == {("0", "1")}
