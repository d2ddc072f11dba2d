"""The PALMS summary against totals worked out by hand (tests/reports_data.py)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from meetings.models import Attendance
from referrals.models import Referral, Tier
from reports.palms import COUNT_FIELDS, HEADERS, palms_rows, palms_totals
from tests import factories, reports_data
from tests.reports_data import END, EXPECTED, EXPECTED_TOTAL, START, cells


@pytest.fixture
def fixture(chapter, other_chapter):
    return reports_data.build(chapter, other_chapter)


def test_headers_are_the_official_layout():
    assert " | ".join(HEADERS) == (
        "First Name | Last Name | P | A | L | M | S | RGI | RGO | RRI | RRO | V | 1-2-1 | TYFCB "
        "| CEU | T"
    )


def test_completed_weeks_match_hand_totals(fixture):
    rows = palms_rows(chapter=fixture.chapter, start=START, end=END)
    assert [row.first_name for row in rows] == ["Alice", "Ben", "Cara", "Dan"]
    assert {row.first_name: cells(row) for row in rows} == EXPECTED
    assert cells(palms_totals(rows)) == EXPECTED_TOTAL
    assert palms_totals(rows).first_name == "Total"


def test_provisional_week_counts_only_on_request(fixture):
    rows = palms_rows(chapter=fixture.chapter, start=START, end=END, include_provisional=True)
    by_name = {row.first_name: row for row in rows}
    for name, extra in reports_data.PROVISIONAL_EXTRA.items():
        expected = dict(zip(COUNT_FIELDS, EXPECTED[name], strict=True))
        for field, more in extra.items():
            expected[field] += more
        assert {f: getattr(by_name[name], f) for f in COUNT_FIELDS} == expected, name


def test_cross_chapter_slips_count_in_the_other_chapter(fixture):
    rows = palms_rows(chapter=fixture.other_chapter, start=START, end=END)
    olly = next(row for row in rows if row.first_name == "Olly")
    # Gave Ben an outside referral, received Alice's inside one, met Cara for a one-to-one.
    assert (olly.RGO, olly.RRI, olly.RGI, olly.RRO, olly.one_to_ones) == (1, 1, 0, 0, 1)
    assert olly.P == 0


def test_range_limits_the_weeks(fixture):
    rows = palms_rows(chapter=fixture.chapter, start=datetime.date(2026, 1, 10), end=END)
    alice = next(row for row in rows if row.first_name == "Alice")
    assert (alice.P, alice.RGI, alice.RGO, alice.RRO, alice.V, alice.CEU) == (1, 0, 0, 1, 1, 1)


def test_dropped_member_without_numbers_is_left_out(fixture):
    rows = palms_rows(chapter=fixture.chapter, start=datetime.date(2026, 1, 10),
                      end=datetime.date(2026, 1, 12))
    assert [row.first_name for row in rows] == ["Alice", "Ben", "Cara"]
    assert all(not row.has_numbers() for row in rows)


def test_member_ids_limits_rows(fixture):
    rows = palms_rows(chapter=fixture.chapter, start=START, end=END,
                      member_ids=[fixture.ben.pk])
    assert [cells(row) for row in rows] == [EXPECTED["Ben"]]


def _chapter_of(size: int, weeks: int):
    chapter = factories.chapter()
    members = [factories.member(chapter) for _ in range(size)]
    first = datetime.date(2025, 6, 4)
    for week in range(weeks):
        meeting = reports_data.completed(chapter, first + datetime.timedelta(weeks=week))
        Attendance.objects.bulk_create(
            Attendance(meeting=meeting, member=m, code="P") for m in members
        )
        for giver, receiver in zip(members, members[1:], strict=False):
            Referral.objects.create(giver=giver, receiver=receiver, tier=Tier.INSIDE,
                                    temperature=2, meeting=meeting, receiver_meeting=meeting)
    return chapter


@pytest.mark.django_db
def test_query_count_does_not_grow_with_members_or_weeks():
    small, large = _chapter_of(3, 2), _chapter_of(20, 6)
    counts = []
    for chapter in (small, large):
        with CaptureQueriesContext(connection) as queries:
            rows = palms_rows(chapter=chapter, start=datetime.date(2025, 1, 1),
                              end=datetime.date(2025, 12, 31))
        counts.append(len(queries))
    assert counts == [2, 2]  # the figures in one statement, the people in another
    assert len(rows) == 20 and rows[0].P == 6
