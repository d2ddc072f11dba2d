"""Charts: the figures behind the pictures, and SVG the CSP allows."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from reports import charts
from tests import reports_data
from tests.reports_data import END, START


@pytest.fixture
def fixture(chapter, other_chapter):
    return reports_data.build(chapter, other_chapter)


def test_weekly_series_match_the_fixture(fixture):
    referrals, tyfcb, attendance = charts.weekly_charts(chapter=fixture.chapter, start=START,
                                                        end=END)
    weeks = [datetime.date(2026, 1, 7), datetime.date(2026, 1, 14)]
    # Given in week 1: A->B, A->C, B->A, A->Olly (another chapter); week 2: C->A, B->C.
    assert referrals.rows == [[weeks[0], 4], [weeks[1], 2]]
    assert tyfcb.rows == [[weeks[0], Decimal("1700.50")], [weeks[1], Decimal("99.99")]]
    by_week = {row[0]: row[1:] for row in attendance.rows}
    assert attendance.headers[1:] == ["Present", "Late", "Sent a substitute",
                                      "Medical / excused", "Absent"]
    assert by_week[weeks[0]] == [1, 1, 1, 0, 1] and by_week[weeks[1]] == [2, 0, 0, 1, 1]
    tallest = max(referrals.columns, key=lambda c: c.total)
    assert tallest.segments[0].y >= charts.TOP  # inside the plot


def test_matrix_coverage_and_suggestions(fixture):
    matrix = charts.referral_matrix(chapter=fixture.chapter, start=START, end=END)
    assert matrix.counts[(fixture.alice.pk, fixture.ben.pk)] == 1
    assert (fixture.alice.pk, fixture.olly.pk) not in matrix.counts  # current members only
    coverage, covered = charts.one_to_one_coverage(chapter=fixture.chapter)
    assert covered == {"pairs": 3, "met": 1}  # Alice, Ben, Cara: only Alice and Ben met
    suggestions = charts.one_to_one_suggestions(coverage=coverage, referrals=matrix)
    assert [(s.first, s.second, s.referrals) for s in suggestions] == [
        ("Alice Archer", "Cara Cole", 2), ("Ben Baker", "Cara Cole", 1)]
    own = charts.one_to_one_suggestions(coverage=coverage, referrals=matrix,
                                        member_id=fixture.cara.pk)
    assert [s.first for s in own] == ["Cara Cole", "Cara Cole"]


def test_chart_page_svg_is_labelled_and_has_no_inline_style(client_for, fixture, president):
    response = client_for(president).get(
        reverse("reports_charts", kwargs={"slug": fixture.chapter.slug}),
        {"preset": "custom", "start": START.isoformat(), "end": END.isoformat()})
    page = response.content.decode()
    assert page.count('role="img"') == 5
    assert "<title id=\"referral-matrix-title\">Who referred whom</title>" in page
    assert "style=" not in page and not re.search(r"\son[a-z]+=", page)
    assert "<script>" not in page
    assert "Alice Archer</strong> and <strong>Cara Cole" in page
