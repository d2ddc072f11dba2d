"""Attendance in one tap per member, self check-in with a cut-off, corrections of a completed
week."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from meetings import services
from meetings.models import Attendance, Meeting, Palms
from members.models import Member
from referrals.models import SlipCorrection
from tests import factories

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def meeting(chapter):
    """This morning's meeting, started five minutes ago."""
    now = timezone.now()
    return factories.meeting(
        chapter,
        timezone.localdate(),
        starts_at=now - datetime.timedelta(minutes=5),
        ends_at=now + datetime.timedelta(minutes=85),
    )


def mark_url(meeting):
    return reverse("attendance_mark", args=[meeting.chapter.slug, meeting.pk])


# --- The service ----------------------------------------------------------------------------


def test_marking_twice_keeps_one_row_and_the_last_mark_wins(meeting, member, president,
                                                             vice_president):
    services.attendance_mark(meeting=meeting, member=member, code="P", by=president.user)
    row = services.attendance_mark(meeting=meeting, member=member, code="L", by=vice_president.user)
    assert Attendance.objects.filter(meeting=meeting, member=member).count() == 1
    assert (row.code, row.marked_by) == ("L", vice_president.user)


def test_a_substitute_must_be_named(meeting, member, president):
    with pytest.raises(services.MeetingError, match="Name the substitute"):
        services.attendance_mark(meeting=meeting, member=member, code="S", by=president.user)
    row = services.attendance_mark(
        meeting=meeting, member=member, code="S", by=president.user, substitute_name=" Sam Sub "
    )
    assert row.substitute_name == "Sam Sub"
    row = services.attendance_mark(
        meeting=meeting, member=member, code="P", by=president.user, substitute_name="ignored"
    )
    assert row.substitute_name == ""


def test_a_member_of_another_chapter_cannot_be_marked(meeting, other_member, president):
    with pytest.raises(services.MeetingError):
        services.attendance_mark(meeting=meeting, member=other_member, code="P", by=president.user)


@pytest.mark.parametrize("status", [Meeting.Status.CANCELLED, Meeting.Status.HOLIDAY])
def test_no_attendance_for_a_cancelled_or_holiday_week(meeting, member, president, status):
    Meeting.objects.filter(pk=meeting.pk).update(status=status)
    with pytest.raises(services.MeetingError, match="no attendance"):
        services.attendance_mark(meeting=meeting, member=member, code="P", by=president.user)


def test_marking_a_completed_week_is_refused_with_a_clear_message(meeting, member, president):
    Meeting.objects.filter(pk=meeting.pk).update(
        report_status="completed", report_completed_at=timezone.now()
    )
    with pytest.raises(services.MeetingError, match="completed.*correction"):
        services.attendance_mark(meeting=meeting, member=member, code="A", by=president.user)


# --- The page and its one-tap buttons -------------------------------------------------------


def test_sheet_lists_every_current_member_with_on_leave_shown_as_m(
    client_for, president, member, meeting
):
    chapter = meeting.chapter
    on_leave = factories.member(chapter, status=Member.Status.ON_LEAVE, first_name="Olive")
    dropped = factories.member(chapter, status=Member.Status.DROPPED, first_name="Dropped")
    page = client_for(president).get(reverse("attendance", args=[chapter.slug, meeting.pk]))
    text = page.content.decode()
    assert f'id="member-{member.pk}"' in text
    assert f'id="member-{on_leave.pk}"' in text and "On leave: M unless marked" in text
    assert f'id="member-{dropped.pk}"' not in text
    for code in "PALM":
        assert f'name="code" value="{code}"' in text
    assert "<summary" in text and 'name="substitute_name"' in text


def test_one_tap_returns_only_the_row_and_the_summary(client_for, president, member, meeting):
    response = client_for(president).post(
        mark_url(meeting), {"member": member.pk, "code": "P"}, **HTMX
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert text.count('data-hx-swap-oob="true"') == 2  # the row and the summary, nothing else
    assert "<html" not in text
    assert f'id="member-{member.pk}"' in text
    assert 'value="P" class="att-code att-code-P" aria-pressed="true"' in text
    assert president.user.get_full_name() in text  # who marked it, visibly
    assert Attendance.objects.get(meeting=meeting, member=member).code == "P"


def test_substitute_without_a_name_shows_the_error_in_the_row(client_for, president, member,
                                                              meeting):
    response = client_for(president).post(
        mark_url(meeting), {"member": member.pk, "code": "S", "substitute_name": ""}, **HTMX
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert "Name the substitute" in text and 'role="alert"' in text
    assert '<details class="att-sub" open>' in text
    assert not Attendance.objects.filter(meeting=meeting, member=member).exists()


def test_without_javascript_a_tap_posts_and_comes_back_to_the_row(
    client_for, president, member, meeting
):
    client = client_for(president)
    response = client.post(
        mark_url(meeting), {"member": member.pk, "code": "S", "substitute_name": "Sam Sub"}
    )
    assert response.status_code == 302
    assert response.url.endswith(f"#member-{member.pk}")
    row = Attendance.objects.get(meeting=meeting, member=member)
    assert (row.code, row.substitute_name) == ("S", "Sam Sub")
    response = client.post(mark_url(meeting), {"member": member.pk, "code": "S"})
    assert response.status_code == 400
    assert "Name the substitute" in response.content.decode()


@pytest.mark.parametrize(
    "data",
    [
        {"member": "x", "code": "P"},
        {"code": "P"},
        {"member": "999999", "code": "P"},
        {"member": "MEMBER", "code": "Z"},
        {"member": "MEMBER", "code": "S", "substitute_name": "x" * 500},
    ],
)
def test_bad_input_never_500s(client_for, president, member, meeting, data):
    data = {k: (str(member.pk) if v == "MEMBER" else v) for k, v in data.items()}
    response = client_for(president).post(mark_url(meeting), data, **HTMX)
    assert response.status_code in (200, 400, 404)
    assert not Attendance.objects.filter(meeting=meeting).exists()


def test_double_tap_is_idempotent(client_for, president, member, meeting):
    client = client_for(president)
    for _ in range(2):
        client.post(mark_url(meeting), {"member": member.pk, "code": "A"}, **HTMX)
    assert Attendance.objects.filter(meeting=meeting, member=member).count() == 1


def test_poll_brings_other_leaders_taps(client_for, president, vice_president, member, meeting):
    before = timezone.now()
    services.attendance_mark(meeting=meeting, member=member, code="L", by=vice_president.user)
    response = client_for(president).get(
        reverse("attendance_rows", args=[meeting.chapter.slug, meeting.pk]),
        {"since": before.isoformat()},
    )
    text = response.content.decode()
    assert f'id="member-{member.pk}"' in text and 'data-polled="true"' in text
    assert vice_president.user.get_full_name() in text
    assert 'id="att-poll"' in text  # the next poll, with a new `since`


def test_poll_with_nothing_new_or_a_bad_since_returns_only_the_poller(client_for, president,
                                                                      meeting):
    client = client_for(president)
    url = reverse("attendance_rows", args=[meeting.chapter.slug, meeting.pk])
    for since in (timezone.now().isoformat(), "garbage", ""):
        response = client.get(url, {"since": since})
        assert response.status_code == 200
        assert "att-row" not in response.content.decode()


def test_mark_the_rest_absent_keeps_existing_marks_and_gives_on_leave_m(
    client_for, president, member, meeting
):
    chapter = meeting.chapter
    on_leave = factories.member(chapter, status=Member.Status.ON_LEAVE)
    services.attendance_mark(meeting=meeting, member=member, code="P", by=president.user)
    client_for(president).post(reverse("attendance_mark_rest", args=[chapter.slug, meeting.pk]))
    codes = dict(Attendance.objects.filter(meeting=meeting).values_list("member", "code"))
    assert codes == {member.pk: "P", on_leave.pk: "M", president.pk: "A"}


def test_attendance_sheet_query_count_does_not_grow(client_for, president, meeting):
    chapter = meeting.chapter
    client = client_for(president)
    url = reverse("attendance", args=[chapter.slug, meeting.pk])
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    for n in range(25):
        someone = factories.member(chapter, status="on_leave" if n % 7 == 0 else "active")
        if n % 2:
            services.attendance_mark(
                meeting=meeting, member=someone, code="S", by=president.user,
                substitute_name="Stand In",
            )
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(large) == len(small)


def test_poll_query_count_does_not_grow(client_for, president, meeting):
    chapter = meeting.chapter
    client = client_for(president)
    url = reverse("attendance_rows", args=[chapter.slug, meeting.pk])
    since = (timezone.now() - datetime.timedelta(minutes=1)).isoformat()
    services.attendance_mark(meeting=meeting, member=president, code="P", by=president.user)
    with CaptureQueriesContext(connection) as small:
        client.get(url, {"since": since})
    for _ in range(15):
        services.attendance_mark(
            meeting=meeting, member=factories.member(chapter), code="A", by=president.user
        )
    with CaptureQueriesContext(connection) as large:
        response = client.get(url, {"since": since})
    assert response.content.decode().count("att-row") >= 16
    assert len(large) == len(small)


# --- Self check-in --------------------------------------------------------------------------


def test_check_in_before_the_cut_off_is_present(meeting, member):
    row, made = services.attendance_check_in(
        meeting=meeting, member=member, now=meeting.starts_at + datetime.timedelta(minutes=10)
    )
    assert (row.code, row.self_checked_in, made) == ("P", True, True)


def test_check_in_after_the_cut_off_is_late(meeting, member):
    meeting.chapter.checkin_cutoff_minutes = 10
    meeting.chapter.save()
    row, _ = services.attendance_check_in(
        meeting=meeting, member=member,
        now=meeting.starts_at + datetime.timedelta(minutes=10, seconds=1),
    )
    assert row.code == "L"


def test_check_in_is_only_open_during_the_meeting_window(meeting, member):
    with pytest.raises(services.MeetingError, match="opens at"):
        services.attendance_check_in(
            meeting=meeting, member=member, now=meeting.starts_at - datetime.timedelta(hours=2)
        )
    with pytest.raises(services.MeetingError, match="ended"):
        services.attendance_check_in(
            meeting=meeting, member=member, now=meeting.ends_at + datetime.timedelta(seconds=1)
        )
    row, _ = services.attendance_check_in(
        meeting=meeting, member=member, now=meeting.starts_at - datetime.timedelta(minutes=30)
    )
    assert row.code == "P"


def test_a_leader_overrides_a_self_check_in_and_it_does_not_come_back(meeting, member,
                                                                      president):
    services.attendance_check_in(meeting=meeting, member=member, now=meeting.starts_at)
    services.attendance_mark(meeting=meeting, member=member, code="M", by=president.user)
    row, made = services.attendance_check_in(meeting=meeting, member=member,
                                             now=meeting.starts_at)
    assert (row.code, row.self_checked_in, made) == ("M", False, False)


def test_member_checks_in_from_the_link(client_for, member, meeting):
    client = client_for(member)
    url = reverse("checkin", args=[meeting.chapter.slug, meeting.pk, meeting.checkin_token])
    page = client.get(url)
    assert page.status_code == 200 and "Check in" in page.content.decode()
    assert not Attendance.objects.filter(member=member).exists()  # GET changes nothing
    response = client.post(url)
    assert response.status_code == 302
    row = Attendance.objects.get(meeting=meeting, member=member)
    assert (row.code, row.self_checked_in) == ("P", True)
    client.post(url)  # a second tap
    assert Attendance.objects.filter(meeting=meeting, member=member).count() == 1
    assert "you checked in" in client.get(url).content.decode()


def test_late_check_in_from_the_link(client_for, member, chapter):
    now = timezone.now()
    meeting = factories.meeting(
        chapter, timezone.localdate(), starts_at=now - datetime.timedelta(minutes=20),
        ends_at=now + datetime.timedelta(minutes=70),
    )
    url = reverse("checkin", args=[chapter.slug, meeting.pk, meeting.checkin_token])
    client = client_for(member)
    assert "counts as <strong>late</strong>" in client.get(url).content.decode()
    client.post(url)
    assert Attendance.objects.get(meeting=meeting, member=member).code == "L"


def test_a_wrong_or_old_token_finds_nothing(client_for, member, meeting, chapter):
    last_week = factories.meeting(chapter, meeting.local_date - datetime.timedelta(days=7))
    client = client_for(member)
    for token in ("guess", last_week.checkin_token):
        url = reverse("checkin", args=[chapter.slug, meeting.pk, token])
        assert client.post(url).status_code == 404
    assert not Attendance.objects.exists()


def test_check_in_link_signs_in_first(client, meeting):
    url = reverse("checkin", args=[meeting.chapter.slug, meeting.pk, meeting.checkin_token])
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_leader_screen_shows_a_qr_code_of_the_link(client_for, president, meeting):
    page = client_for(president).get(
        reverse("checkin_code", args=[meeting.chapter.slug, meeting.pk])
    )
    text = page.content.decode()
    assert '<svg class="qr-code"' in text
    assert meeting.checkin_token in text


def test_check_in_outside_the_window_explains(client_for, member, chapter):
    meeting = factories.meeting(chapter, timezone.localdate() + datetime.timedelta(days=7))
    url = reverse("checkin", args=[chapter.slug, meeting.pk, meeting.checkin_token])
    response = client_for(member).post(url)
    assert response.status_code == 400
    assert "Check-in opens at" in response.content.decode()


# --- Corrections of a completed week --------------------------------------------------------


@pytest.fixture
def completed(meeting, member, president):
    services.attendance_mark(meeting=meeting, member=member, code="A", by=president.user)
    services.attendance_mark(meeting=meeting, member=president, code="P", by=president.user)
    Meeting.objects.filter(pk=meeting.pk).update(
        report_status="completed", report_completed_at=timezone.now()
    )
    meeting.refresh_from_db()
    return meeting


def test_vice_president_corrects_a_completed_week_with_a_reason(
    client_for, vice_president, member, completed
):
    url = reverse("attendance_correct", args=[completed.chapter.slug, completed.pk, member.pk])
    client = client_for(vice_president)
    response = client.post(url, {"code": "S", "substitute_name": "", "reason": ""})
    assert response.status_code == 400
    assert "Name the substitute" in response.content.decode()
    response = client.post(
        url, {"code": "M", "reason": "Was in hospital; told the VP the day before."}
    )
    assert response.status_code == 302
    row = Attendance.objects.get(meeting=completed, member=member)
    assert row.code == "M"
    correction = SlipCorrection.objects.get(slip_type="attendance", slip_id=row.pk)
    assert correction.changed_by == vice_president.user
    assert correction.before["code"] == "A" and correction.after["code"] == "M"
    assert "hospital" in correction.reason
    report = client.get(reverse("meeting_report", args=[completed.chapter.slug, completed.pk]))
    assert "hospital" in report.content.decode()


def test_correction_service_refuses_a_draft_week_and_a_missing_reason(meeting, member, president):
    with pytest.raises(services.MeetingError, match="draft"):
        services.attendance_correct(
            meeting=meeting, member=member, code="P", by=president.user, reason="x"
        )
    Meeting.objects.filter(pk=meeting.pk).update(
        report_status="completed", report_completed_at=timezone.now()
    )
    with pytest.raises(services.MeetingError, match="why"):
        services.attendance_correct(
            meeting=meeting, member=member, code="P", by=president.user, reason="  "
        )


def test_locked_sheet_shows_codes_and_correct_links_not_buttons(client_for, vice_president,
                                                                completed, member):
    page = client_for(vice_president).get(
        reverse("attendance", args=[completed.chapter.slug, completed.pk])
    )
    text = page.content.decode()
    assert 'name="code"' not in text
    assert reverse("attendance_correct", args=[completed.chapter.slug, completed.pk, member.pk]) \
        in text
    assert Palms.ABSENT.label in text
