"""At the door, on a phone: a leader marks a 25-member chapter in about one tap each,
including a substitute and a late arrival, without the page reloading."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings import services
from meetings.models import Attendance
from members.models import Role
from referrals.models import Referral, SlipCorrection
from tests import factories
from tests.conftest import browser_login
from tests.referrals_world import open_week, referral

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def door(transactional_db):
    chapter = factories.chapter("Phone Chapter")
    president = factories.member(chapter, roles=(Role.PRESIDENT,), email="door@example.test",
                                 first_name="Paula", last_name="President")
    vice = factories.member(chapter, roles=(Role.VICE_PRESIDENT,), first_name="Victor",
                            last_name="Vice")
    others = [factories.member(chapter, first_name=f"Member{n:02d}", last_name="Person")
              for n in range(23)]
    now = timezone.now()
    meeting = factories.meeting(
        chapter, timezone.localdate(), starts_at=now - datetime.timedelta(minutes=3),
        ends_at=now + datetime.timedelta(minutes=87),
    )
    return meeting, president, vice, [president, vice, *others]


def test_leader_marks_25_members_on_a_phone(browser_page, door):
    page = browser_page
    meeting, president, vice, members = door
    assert len(members) == 25
    browser_login(page, president.user.email)
    page.goto(reverse("attendance", args=[meeting.chapter.slug, meeting.pk]))
    page.evaluate("window.__sameDocument = true")

    late, substitute = members[5], members[9]
    taps = 0
    expected = {}
    for member in members:
        row = page.locator(f"#member-{member.pk}")
        if member == substitute:
            row.locator("summary").click()
            row.locator("input[name=substitute_name]").fill("Sam Standin")
            row.get_by_role("button", name="Save S").click()
            taps += 2
            page.locator(f"#member-{member.pk} summary.att-current").wait_for()
            expected[member.pk] = ("S", "Sam Standin")
            continue
        code = "L" if member == late else "P"
        row.locator(f"button[value={code}]").click()
        taps += 1
        page.locator(f'#member-{member.pk} button[value={code}][aria-pressed="true"]').wait_for()
        expected[member.pk] = (code, "")

    assert taps <= 30
    assert page.evaluate("window.__sameDocument") is True  # no reload happened
    summary = page.locator("#att-summary").inner_text()
    assert "0 not marked" in summary
    stored = {
        row.member_id: (row.code, row.substitute_name)
        for row in Attendance.objects.filter(meeting=meeting)
    }
    assert stored == expected
    assert all(
        row.marked_by_id == president.user_id for row in Attendance.objects.filter(meeting=meeting)
    )
    # Fits the phone: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    # Another leader's later tap shows up on this phone by itself (the last tap wins, visibly).
    services.attendance_mark(meeting=meeting, member=late, code="P", by=vice.user)
    page.locator(f'#member-{late.pk} button[value=P][aria-pressed="true"]').wait_for(
        timeout=15_000
    )
    assert "Victor Vice" in page.locator(f"#member-{late.pk} .att-meta").inner_text()
    page.screenshot(path="/tmp/meetings-attendance-phone.png", full_page=False)


def test_a_substitute_without_a_name_is_explained_in_place(browser_page, door):
    page = browser_page
    meeting, president, _, members = door
    browser_login(page, president.user.email)
    page.goto(reverse("attendance", args=[meeting.chapter.slug, meeting.pk]))
    row = page.locator(f"#member-{members[3].pk}")
    row.locator("summary").click()
    row.get_by_role("button", name="Save S").click()
    page.locator(f"#member-{members[3].pk} [role=alert]").wait_for()
    assert "Name the substitute" in page.locator(f"#member-{members[3].pk}").inner_text()
    assert not Attendance.objects.filter(meeting=meeting).exists()
    # Typing the name now saves it.
    page.locator(f"#member-{members[3].pk} input[name=substitute_name]").fill("Sue Stand-in")
    page.locator(f"#member-{members[3].pk}").get_by_role("button", name="Save S").click()
    page.locator(f"#member-{members[3].pk} summary.att-current").wait_for()
    assert Attendance.objects.get(meeting=meeting, member=members[3]).substitute_name == \
        "Sue Stand-in"


def test_member_checks_in_by_the_qr_link_on_a_phone(browser_page, door):
    page = browser_page
    meeting, _, _, members = door
    member = members[12]
    browser_login(page, member.user.email)
    page.goto(reverse("checkin", args=[meeting.chapter.slug, meeting.pk, meeting.checkin_token]))
    page.get_by_role("button", name="Check in").click()
    page.wait_for_load_state()
    assert "you checked in" in page.content()
    row = Attendance.objects.get(meeting=meeting, member=member)
    assert (row.code, row.self_checked_in) == ("P", True)


def test_visitor_host_sees_a_taken_classification_at_once(browser_page, door):
    page = browser_page
    meeting, president, _, members = door
    taken = members[7]
    browser_login(page, president.user.email)
    page.goto(reverse("meeting_visitors", args=[meeting.chapter.slug, meeting.pk]))
    page.fill("input[name=name]", "Vera Visitor")
    page.select_option("select[name=classification]", str(taken.classification_id))
    warning = page.locator("#classification-warning")
    warning.get_by_text("already taken").wait_for()
    assert taken.full_name in warning.inner_text()
    assert page.locator("#classification-warning").count() == 1
    page.get_by_role("button", name="Record the visitor").click()
    page.wait_for_load_state()
    assert "Classification taken by" in page.content()


def test_cancelling_a_week_with_slips_is_confirmed_on_a_phone(browser_page, transactional_db):
    chapter = factories.chapter("Cancel Chapter")
    president = factories.member(chapter, roles=(Role.PRESIDENT,), email="cancel@example.test")
    week = open_week(chapter)
    following = factories.meeting(chapter, week.local_date + datetime.timedelta(days=7))
    referral(factories.member(chapter), factories.member(chapter))
    page = browser_page
    page.on("dialog", lambda dialog: dialog.accept())
    browser_login(page, president.user.email)
    page.goto(reverse("meeting_edit", args=[chapter.slug, week.pk]))
    page.get_by_role("button", name="Cancel the meeting").click()
    page.get_by_text("1 slip will move").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.get_by_label("Move this week's slips").check()
    page.get_by_role("button", name="Move the slips").click()
    page.get_by_text("The meeting is now cancelled").wait_for()
    assert Referral.objects.get().meeting == following
    assert SlipCorrection.objects.get().action == SlipCorrection.Action.MOVED
