"""Two (or ten) leaders marking at the same moment, against PostgreSQL: one attendance row per
member and meeting, and no mark slips into a week as its report is completed."""

import datetime
import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from meetings import services
from meetings.models import Attendance, Meeting
from members.models import Role
from tests import factories

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

THREADS = 10
CODES = "PALM"


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("Concurrency needs PostgreSQL: set DATABASE_URL (SQLite serialises writers).")


def run_together(work, count=THREADS):
    """Run `work(index)` in `count` threads started at the same instant, each with its own
    database connection; re-raise the first error."""
    barrier = threading.Barrier(count)
    errors = []

    def runner(index):
        try:
            barrier.wait()
            work(index)
        except Exception as error:  # noqa: BLE001 - handed back to the test
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return errors


@pytest.fixture
def chapter_of_25(db):
    chapter = factories.chapter("Concurrent Chapter")
    leaders = [factories.member(chapter, roles=(Role.PRESIDENT,)),
               factories.member(chapter, roles=(Role.VICE_PRESIDENT,))]
    members = leaders + [factories.member(chapter) for _ in range(23)]
    now = timezone.now()
    meeting = factories.meeting(
        chapter, timezone.localdate(), starts_at=now - datetime.timedelta(minutes=10),
        ends_at=now + datetime.timedelta(minutes=80),
    )
    return meeting, leaders, members


def test_ten_leaders_marking_everyone_at_once_leave_one_row_per_member(chapter_of_25):
    meeting, leaders, members = chapter_of_25

    def mark_everyone(index):
        leader = leaders[index % 2]
        # Each thread walks the list from a different place, so threads collide on rows.
        for offset in range(len(members)):
            member = members[(offset + index) % len(members)]
            code = CODES[(offset + index) % len(CODES)]
            services.attendance_mark(meeting=meeting, member=member, code=code, by=leader.user)

    errors = run_together(mark_everyone)
    assert errors == []
    rows = Attendance.objects.filter(meeting=meeting)
    assert rows.count() == len(members)
    assert set(rows.values_list("member", flat=True)) == {m.pk for m in members}
    assert all(code in CODES for code in rows.values_list("code", flat=True))


def test_self_check_ins_racing_leaders_leave_one_row_each(chapter_of_25):
    meeting, leaders, members = chapter_of_25

    def work(index):
        for member in members:
            if index % 2:
                services.attendance_check_in(meeting=meeting, member=member)
            else:
                services.attendance_mark(meeting=meeting, member=member, code="A",
                                         by=leaders[0].user)

    assert run_together(work) == []
    assert Attendance.objects.filter(meeting=meeting).count() == len(members)


def test_no_mark_lands_after_the_report_is_completed(chapter_of_25):
    meeting, leaders, members = chapter_of_25
    for member in members:
        services.attendance_mark(meeting=meeting, member=member, code="P", by=leaders[0].user)
    refused = []

    def work(index):
        if index == 0:
            services.report_complete(meeting=meeting, by=leaders[1].user)
            return
        for member in members:
            try:
                services.attendance_mark(meeting=meeting, member=member, code="L",
                                         by=leaders[0].user)
            except services.MeetingError:
                refused.append(member.pk)

    assert run_together(work, count=6) == []
    meeting = Meeting.objects.get(pk=meeting.pk)
    assert meeting.is_completed
    late_marks = Attendance.objects.filter(
        meeting=meeting, marked_at__gt=meeting.report_completed_at
    )
    assert not late_marks.exists()
    assert Attendance.objects.filter(meeting=meeting).count() == len(members)
