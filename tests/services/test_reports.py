"""Course report pages: a page chosen in SQL lists the same learners, in the same order, as the whole report filtered in Python."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.catalog.learning_models import Enrolment
from lms.catalog.models import Lesson
from lms.catalog.services import complete_lesson, enrol_learner, unenrol_learner
from lms.db import utcnow
from lms.reports.services import ReportFilter, apply_filter, course_report, course_report_page
from tests.conftest import make_course, make_user

# "le an" sorts before "lea bao" by code point (space < letter) but not in a linguistic collation
NAMES = ("Lea Bảo", "Lê An", "Ê Đê Y Bih", "Hoàng Thị Mai", "Nguyễn Văn An", "Nguyễn Văn An", "Đặng Thu", "Phạm Hà", "Trần Văn Lâm")


@pytest.fixture
def course(session):
    course = make_course(session)
    lessons = list(session.scalars(select(Lesson).order_by(Lesson.id)))
    people = [make_user(session, name=name, province=("dak-lak", "ha-noi")[n % 2], business=f"HTX {n}") for n, name in enumerate(NAMES)]
    for n, person in enumerate(people):
        enrol_learner(session, person.id, course)
        for lesson in lessons[:n % 4]:
            complete_lesson(session, person.id, course, lesson)
    session.flush()
    for n, enrolment in enumerate(session.scalars(select(Enrolment).order_by(Enrolment.id))):
        enrolment.last_activity_at = utcnow() - timedelta(days=(n * 7) % 5)
    unenrol_learner(session, people[-1].id, course)  # people who left are not in the report
    session.commit()
    return course


@pytest.mark.parametrize("chosen", [
    ReportFilter(), ReportFilter(province="ha-noi"), ReportFilter(sort="activity"), ReportFilter(sort="activity", province="dak-lak"),
    ReportFilter(sort="progress"), ReportFilter(query="van"), ReportFilter(query="an", sort="activity"), ReportFilter(status="in_progress"),
])
def test_every_page_of_the_course_report_matches_the_whole_report(session, course, chosen):
    whole = [row.user_id for row in apply_filter(course_report(session, course, "vi"), chosen)]
    assert whole  # each filter keeps someone
    for per_page in (1, 3, 25):
        pages, number, total = [], 1, None
        while True:
            page = course_report_page(session, course, "vi", chosen, number, per_page)
            pages += [row.user_id for row in page.items]
            total = page.total
            if not page.has_next:
                break
            number += 1
        assert pages == whole and total == len(whole), (per_page, chosen)


def test_a_page_past_the_end_shows_the_last_page(session, course):
    page = course_report_page(session, course, "vi", ReportFilter(), 99, 3)
    assert page.page == page.pages == 3 and len(page.items) == 2
