"""One figure, one definition: whatever slips and attendance a week holds, every surface a
person reads shows the same PALMS figure for every member and column (a property test)."""

import csv
import datetime
import uuid
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meetings import services as meeting_services
from meetings.models import Meeting
from notifications.tallies import summary_context, tally_context
from referrals import services
from reports import weekly
from reports.dashboard import my_numbers
from reports.exports import csv_lines, table
from reports.palms import COLUMNS, COUNT_FIELDS, palms_rows, palms_totals
from reports.scoring import member_lights
from tests import factories

pytestmark = pytest.mark.django_db

# A Wednesday meeting at 07:00 London, half an hour in: slips logged now count for it.
DAY = datetime.date(2026, 11, 18)
DURING = datetime.datetime(2026, 11, 18, 7, 30, tzinfo=datetime.UTC)
OURS = 4  # members of the chapter; index OURS is the member of another chapter

person = st.integers(min_value=0, max_value=OURS)
ours = st.integers(min_value=0, max_value=OURS - 1)
slip = st.one_of(
    st.tuples(st.just("referral"), person, person, st.sampled_from(["inside", "outside"])),
    st.tuples(st.just("thank-you"), person, person,
              st.integers(min_value=1, max_value=500_000).map(lambda c: Decimal(c) / 100)),
    st.tuples(st.just("one-to-one"), person, person, st.none()),
    st.tuples(st.just("ceu"), ours, st.none(), st.integers(min_value=1, max_value=3)),
    st.tuples(st.just("testimonial"), ours, ours, st.none()),
    st.tuples(st.just("visitor"), ours, st.none(), st.none()),
)
marks = st.lists(st.sampled_from(["P", "A", "L", "M", "S", None]), min_size=OURS,
                 max_size=OURS)


@pytest.fixture
def week(time_machine, chapter, other_chapter):
    time_machine.move_to(DURING, tick=False)
    people = [factories.member(chapter) for _ in range(OURS)] + [factories.member(other_chapter)]
    vice_president = factories.member(chapter, roles=("vice_president",))
    meeting = factories.meeting(chapter, DAY)
    factories.meeting(other_chapter, DAY)
    return meeting, people, vice_president


def _log(kind, author, other, extra, meeting):
    token = uuid.uuid4()
    if kind == "referral":
        services.referral_log(giver=author, receiver=other, tier=extra, temperature=3,
                              prospect_name="Pat", prospect_phone="0123", token=token)
    elif kind == "thank-you":
        services.thank_you_log(thanked_by=author, credited_to=other, amount=extra,
                               business_type="new", token=token)
    elif kind == "one-to-one":
        services.one_to_one_log(member=author, met_with=other, met_on=DAY, token=token)
    elif kind == "ceu":
        services.ceu_log(member=author, credits=extra, description="Talk", earned_on=DAY,
                         token=token)
    elif kind == "testimonial":
        services.testimonial_log(giver=author, about=other, text="Great", token=token)
    else:
        services.visitor_register(member=author, meeting=meeting, name="Vera",
                                  email="vera@example.test", token=token)


def _figures(row) -> dict:
    return {name: getattr(row, name) for name in COUNT_FIELDS}


def _weekly_report(meeting) -> dict:
    """The chapter's figures as the weekly report page shows them."""
    numbers = weekly.report_numbers(meeting)
    shown = _figures(numbers["palms"])
    shown |= {code: numbers["attendance"][code] for code in "PALMS"}
    shown |= {"RGI": numbers["referrals"]["inside"], "RGO": numbers["referrals"]["outside"],
              "TYFCB": numbers["tyfcb"]["total"], "one_to_ones": numbers["one_to_ones"],
              "V": numbers["visitors"], "CEU": numbers["ceus"]["credits"],
              "T": numbers["testimonials"]}
    return shown


def _surfaces(meeting, members) -> dict[str, dict]:
    """Each surface's figures per member id ("total" for the chapter's totals)."""
    chapter = meeting.chapter
    reference = palms_rows(chapter=chapter, start=DAY, end=DAY)
    by_name = {row.full_name: row.member_id for row in reference}
    lines = list(csv.reader("".join(csv_lines(
        table("palms", chapter=chapter, start=DAY, end=DAY))).lstrip("\ufeff").splitlines()))
    attributes = [attribute for _, attribute in COLUMNS]
    exported = {}
    for line in lines[1:]:
        cells = dict(zip(attributes, line, strict=True))
        key = by_name.get(f"{cells['first_name']} {cells['last_name']}".strip(), "total")
        exported[key] = {name: Decimal(cells[name]) for name in COUNT_FIELDS}
    summary = summary_context(meeting=meeting)
    return {
        "PALMS": {row.member_id: _figures(row) for row in reference}
        | {"total": _figures(palms_totals(reference))},
        "PALMS CSV": exported,
        "weekly report": {"total": _weekly_report(meeting)},
        "dashboard": {m.pk: _figures(my_numbers(m, DAY)[0].row) for m in members},
        "tally": {m.pk: _figures(tally_context(member=m, meeting=meeting)["row"])
                  for m in members},
        "summary": {line.row.member_id: _figures(line.row) for line in summary["lines"]}
        | {"total": _figures(summary["totals"])},
        "lights": {light.member_id: _figures(light.row)
                   for light in member_lights(chapter=chapter, today=DAY)},
    }


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(slips=st.lists(slip, max_size=12), codes=marks)
def test_every_surface_shows_the_same_figure_for_every_member_and_column(week, slips, codes):
    meeting, people, vice_president = week
    saved = transaction.savepoint_create()
    try:
        for kind, author, other, extra in slips:
            if other is not None and author == other or author == OURS and other == OURS:
                continue
            try:
                _log(kind, people[author], None if other is None else people[other], extra,
                     meeting)
            except services.SlipError:
                continue  # e.g. a member of another chapter cannot thank themself
        for member, code in zip(people[:OURS], codes, strict=True):
            if code:
                meeting_services.attendance_mark(
                    meeting=meeting, member=member, code=code, by=vice_president.user,
                    substitute_name="Sam Stand-in" if code == "S" else "")
        meeting_services.attendance_mark_rest(meeting=meeting, by=vice_president.user)
        meeting_services.report_complete(meeting=Meeting.objects.get(pk=meeting.pk),
                                         by=vice_president.user)
        meeting.refresh_from_db()
        surfaces = _surfaces(meeting, [*people[:OURS], vice_president])
        reference = surfaces.pop("PALMS")
        assert len(reference) == OURS + 2  # the members, the vice president, the totals
        for surface, figures in surfaces.items():
            for who, row in figures.items():
                assert row == reference[who], f"{surface} differs for {who}"
        assert set(surfaces["tally"]) <= set(reference)
    finally:
        transaction.savepoint_rollback(saved)
        meeting.refresh_from_db()
