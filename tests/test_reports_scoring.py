"""Traffic lights: a fixture member scored by hand under both shipped rule sets."""

import copy
import datetime
from decimal import Decimal

import pytest

from chapters.models import TrafficLightRuleSet
from meetings.models import Attendance, Visitor
from members.models import Member
from referrals.models import CEU, OneToOne, Referral, ThankYou, Tier
from referrals.models import Testimonial as SpokenTestimonial
from reports.scoring import (
    band_label,
    chapter_light,
    member_lights,
    rules_for,
    validate_rules,
)
from reports.traffic_lights import POWER_OF_ONE, UK_100_POINT
from tests import factories
from tests.reports_data import completed

TODAY = datetime.date(2026, 7, 1)  # a Wednesday: the window is 2026-01-01 .. 2026-07-01
FIRST = datetime.date(2026, 1, 7)


@pytest.fixture
def scored(chapter):
    """Alice over 26 completed weeks: 22 P, 2 A (one in the first week), 1 L, 1 M; 20
    referrals given, 3,000 TYFCB, 3 visitors, 1 testimonial, 2 CEUs, 20 one-to-ones."""
    alice = factories.member(chapter, first_name="Alice", last_name="Archer")
    ben = factories.member(chapter, first_name="Ben", last_name="Baker")
    Member.objects.filter(pk__in=[alice.pk, ben.pk]).update(joined_on=datetime.date(2025, 1, 1))
    weeks = [completed(chapter, FIRST + datetime.timedelta(weeks=n)) for n in range(26)]
    codes = ["A", "A", "L", "M"] + ["P"] * 22
    for meeting, code in zip(weeks, codes, strict=True):
        Attendance.objects.create(meeting=meeting, member=alice, code=code)
    for n in range(20):
        meeting = weeks[1 + n]
        tier = Tier.INSIDE if n < 15 else Tier.OUTSIDE
        Referral.objects.create(giver=alice, receiver=ben, tier=tier, temperature=3,
                                meeting=meeting, receiver_meeting=meeting,
                                prospect_name="Pat", prospect_phone="0123")
        OneToOne.objects.create(member=alice, met_with=ben, met_on=meeting.local_date,
                                meeting=meeting, met_with_meeting=meeting)
    for amount, meeting in ((1000, weeks[5]), (2000, weeks[9])):
        ThankYou.objects.create(thanked_by=ben, credited_to=alice, amount=Decimal(amount),
                                meeting=meeting, credited_meeting=meeting)
    for n, meeting in enumerate(weeks[10:13]):
        Visitor.objects.create(meeting=meeting, name=f"Visitor {n}", invited_by=alice,
                               follow_up="applied" if n == 0 else "new")
    SpokenTestimonial.objects.create(giver=alice, about=ben, text="Good", meeting=weeks[3])
    CEU.objects.create(member=alice, credits=2, description="Course", earned_on=FIRST,
                       meeting=weeks[4])
    return alice


def _light(chapter, member):
    return next(light for light in member_lights(chapter=chapter, today=TODAY)
                if light.member_id == member.pk)


def test_uk_100_point_score_matches_hand_calculation(chapter, scored):
    light = _light(chapter, scored)
    points = {metric.key: metric.points for metric in light.metrics}
    # Absences 2 -> 5; referrals 20/26 = 0.77 a week -> 10; TYFCB 3,000 -> 10; visitors
    # 3/26 = 0.115 a week -> 5; testimonials 1/26 = 0.038 -> 5; late once -> 0; 2 CEUs -> 10.
    assert points == {"absences": 5, "referrals_given": 10, "tyfcb": 10, "visitors": 5,
                      "testimonials": 5, "lates": 0, "ceus": 10}
    assert (light.score, light.percent, light.colour, light.weeks) == (45, 45, "red", 26)
    # Cheapest way to amber (5 points): one testimonial (a CEU costs the same; first wins).
    assert light.action.reaches == "amber"
    assert [(step.unit, step.units) for step in light.action.steps] == [("testimonial", 1)]
    # The week of 7 January leaves the window next week, with one of the two absences:
    # 1 absence -> 10 points, everything else in the same bands over 25 weeks.
    assert light.dropping.A == 1 and light.dropping_dates == [FIRST]
    assert (light.forecast_percent, light.forecast_colour) == (50, "amber")


def test_power_of_one_score_matches_hand_calculation(chapter, scored):
    chapter.traffic_light_rule_set = TrafficLightRuleSet.objects.get(slug="power-of-one")
    chapter.save()
    light = _light(chapter, scored)
    points = {metric.key: metric.points for metric in light.metrics}
    # Attendance 24/26 = 0.92 -> 15; referrals 0.77 -> 15; visitors 3 * 4 / 26 = 0.46 a month
    # -> 5; one-to-ones 20/26 = 0.77 -> 15; CEUs 2/26 = 0.08 a week -> 0.
    assert points == {"attendance_rate": 15, "referrals_given": 15, "visitors": 5,
                      "one_to_ones": 15, "ceus": 0}
    assert (light.score, light.colour) == (50, "amber")
    # Green needs 20 more. Effort: a visitor 2, anything else 1. Visitors to 1 a month
    # (7 = +4 visitors, effort 8) give +15; CEUs to 0.25 a week (7 = +5, effort 5) give +5:
    # 13 in all. Referrals and one-to-ones to 1 a week cost 6 each for +5, so any mix with
    # them costs more (e.g. 4 visitors and 6 referrals: 14).
    assert light.action.reaches == "green"
    assert light.action.effort == 13
    assert sorted((s.unit, s.units) for s in light.action.steps) == [("CEU", 5), ("visitor", 4)]


def test_chapter_light_matches_hand_calculation(chapter, scored):
    light = chapter_light(chapter=chapter, today=TODAY)
    points = {metric.key: metric.points for metric in light.metrics}
    # 2 members -> 0; no growth -> 0; both stayed -> 15; 20 referrals / 26 member-weeks
    # (attendance rows) = 0.77 -> 5; 3 visitors / 26 weeks -> 0; 1 of 3 applied -> 15;
    # 2 absences / 26 rows = 7.7% -> 10.
    assert points == {"size": 0, "growth": 0, "retention": 15, "referrals_per_member_week": 5,
                      "visitors_per_week": 0, "conversion": 15, "absence_rate": 10}
    assert (light.score, light.max_points, light.colour) == (45, 105, "red")


def test_band_labels_read_like_the_published_tables():
    absences = UK_100_POINT["metrics"][0]
    assert [band_label(absences, i) for i in range(4)] == ["0", "1", "2", "more than 2"]
    referrals = UK_100_POINT["metrics"][1]
    assert band_label(referrals, 0) == "under 0.5"
    assert band_label(referrals, 1) == "0.5 to under 0.75"
    assert band_label(referrals, 4) == "1.2 or more"


def test_shipped_rule_sets_are_valid():
    assert validate_rules(copy.deepcopy(UK_100_POINT)) == []
    assert validate_rules(copy.deepcopy(POWER_OF_ONE)) == []


def test_validation_finds_bounds_out_of_order_and_points_not_adding_up():
    rules = copy.deepcopy(UK_100_POINT)
    # Referral bounds 0.5, 0.7, 0.6, 0.65: the third and fourth are below the second.
    rules["metrics"][1]["bands"][1]["below"] = 0.7
    rules["metrics"][1]["bands"][2]["below"] = 0.6
    rules["metrics"][1]["bands"][3]["below"] = 0.65
    rules["metrics"][0]["points"] = 20
    rules["metrics"][0]["bands"][0]["points"] = 20
    problems = validate_rules(rules)
    places = [where for where, _ in problems]
    assert ("metrics", 1, 2, "bound") in places and ("metrics", 1, 3, "bound") in places
    assert any("add up to 100" in text for _, text in problems)


def test_chapter_without_rule_set_uses_uk_100_point(chapter):
    chapter.traffic_light_rule_set = None
    assert rules_for(chapter)["metrics"][0]["key"] == "absences"
