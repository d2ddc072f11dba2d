"""A member's email choices and calendar feed, one-click unsubscribe, and the leaders' delivery
log with resend."""

import datetime

import icalendar
import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from meetings.models import Meeting
from members.models import Member
from notifications import outbox as notifications
from notifications.models import Delivery, NotificationKind, NotificationOptOut
from tests import factories


@pytest.fixture
def next_meeting(chapter):
    return factories.meeting(chapter, timezone.now().date() + datetime.timedelta(days=3))


def delivery(meeting, member, **fields):
    fields.setdefault("kind", NotificationKind.REMINDER)
    return Delivery.objects.create(chapter=meeting.chapter, meeting=meeting, member=member,
                                   **fields)


# --- Choices -----------------------------------------------------------------------------


def test_a_member_chooses_their_emails(client_for, member, chapter):
    client = client_for(member)
    url = reverse("notification_preferences", args=[chapter.slug])
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="reminder"' in page.text and 'name="tally"' in page.text
    assert 'name="giver"' in page.text  # referral news
    assert 'name="summary"' not in page.text  # the leaders' summary is for leaders
    response = client.post(url, {"tally": "on", "giver": "on"})
    assert response.status_code == 302
    assert set(NotificationOptOut.objects.filter(member=member).values_list("kind", flat=True)) == {
        NotificationKind.REMINDER
    }
    client.post(url, {"tally": "on", "reminder": "on", "giver": "on"})
    assert not NotificationOptOut.objects.filter(member=member).exists()
    client.post(url, {})  # every box unticked
    assert NotificationOptOut.objects.filter(member=member).count() == 3


def test_a_leader_can_turn_the_summary_off(client_for, president, chapter):
    client = client_for(president)
    url = reverse("notification_preferences", args=[chapter.slug])
    assert 'name="summary"' in client.get(url).text
    client.post(url, {"reminder": "on", "tally": "on", "giver": "on"})
    refused = NotificationOptOut.objects.filter(member=president).values_list("kind", flat=True)
    assert list(refused) == [NotificationKind.SUMMARY]


def test_email_pages_are_404_to_a_member_of_another_chapter(client_for, other_member, chapter):
    client = client_for(other_member)
    delivery_id = 1
    for name, args, method in [
        ("notification_preferences", [chapter.slug], "get"),
        ("notification_preferences", [chapter.slug], "post"),
        ("calendar_feed_create", [chapter.slug], "post"),
        ("calendar_feed_revoke", [chapter.slug], "post"),
        ("delivery_log", [chapter.slug], "get"),
        ("delivery_resend", [chapter.slug, delivery_id], "post"),
    ]:
        response = getattr(client, method)(reverse(name, args=args))
        assert response.status_code == 404, name


def test_signed_out_visitors_are_sent_to_sign_in(client, chapter):
    response = client.get(reverse("notification_preferences", args=[chapter.slug]))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# --- Unsubscribe ---------------------------------------------------------------------------


def test_one_click_unsubscribe_works_without_a_csrf_token(member):
    url = notifications.unsubscribe_url(member.pk, NotificationKind.TALLY)
    path = url.removeprefix("http://127.0.0.1:8000")
    client = Client(enforce_csrf_checks=True)
    response = client.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert "unsubscribed" in response.text
    assert NotificationOptOut.objects.filter(member=member, kind=NotificationKind.TALLY).exists()
    # Twice is the same as once.
    assert client.post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert NotificationOptOut.objects.filter(member=member).count() == 1


def test_opening_the_unsubscribe_link_asks_first(member):
    path = notifications.unsubscribe_url(member.pk, NotificationKind.REMINDER).removeprefix(
        "http://127.0.0.1:8000"
    )
    response = Client().get(path)
    assert response.status_code == 200
    assert "Stop meeting reminders?" in response.text
    assert '<form method="post">' in response.text
    assert not NotificationOptOut.objects.exists()


@pytest.mark.parametrize("token", ["nonsense", "1.reminder:forged", "1.unknown:x", "%00"])
def test_a_forged_or_broken_unsubscribe_link_changes_nothing(member, token):
    client = Client(enforce_csrf_checks=True)
    response = client.post(f"/emails/unsubscribe/{token}/")
    assert response.status_code == 404
    assert not NotificationOptOut.objects.exists()


def test_a_token_for_one_kind_cannot_be_edited_into_another(member):
    token = notifications.unsubscribe_token(member.pk, NotificationKind.REMINDER)
    forged = token.replace(".reminder:", ".tally:")
    assert Client().post(f"/emails/unsubscribe/{forged}/").status_code == 404


# --- Calendar feed -------------------------------------------------------------------------


def feed_path(member):
    member.refresh_from_db()
    return reverse("calendar_feed", args=[member.calendar_token])


def test_a_member_gets_a_private_calendar_feed_of_their_chapter(
    client_for, member, chapter, next_meeting
):
    factories.meeting(chapter, timezone.now().date() + datetime.timedelta(days=10),
                      status=Meeting.Status.CANCELLED)
    client = client_for(member)
    url = reverse("calendar_feed_create", args=[chapter.slug])
    client.post(url)
    client.post(url)  # a double click keeps the one link
    path = feed_path(member)
    page = client.get(reverse("notification_preferences", args=[chapter.slug]))
    assert f"http://127.0.0.1:8000{path}" in page.text
    response = Client().get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(response.content)
    events = {str(event["uid"]): event for event in calendar.events}
    assert f"meeting-{next_meeting.pk}@127.0.0.1" in events
    event = events[f"meeting-{next_meeting.pk}@127.0.0.1"]
    assert event.start == next_meeting.starts_at
    assert event.end == next_meeting.ends_at
    assert sorted(str(e["status"]) for e in calendar.events) == ["CANCELLED", "CONFIRMED"]


def test_the_feed_has_only_the_members_own_chapter(client_for, member, other_chapter,
                                                   next_meeting):
    elsewhere = factories.meeting(other_chapter, timezone.now().date() + datetime.timedelta(days=2))
    client_for(member).post(reverse("calendar_feed_create", args=[member.chapter.slug]))
    calendar = icalendar.Calendar.from_ical(Client().get(feed_path(member)).content)
    uids = {str(event["uid"]) for event in calendar.events}
    assert f"meeting-{elsewhere.pk}@127.0.0.1" not in uids


def test_a_revoked_or_replaced_link_stops_working(client_for, member, chapter):
    client = client_for(member)
    client.post(reverse("calendar_feed_create", args=[chapter.slug]))
    first = feed_path(member)
    old_token = member.calendar_token
    reset = reverse("calendar_feed_create", args=[chapter.slug])
    client.post(reset, {"current": old_token})
    client.post(reset, {"current": old_token})  # the double click changes nothing more
    second = feed_path(member)
    assert second != first
    assert Client().get(first).status_code == 404
    assert Client().get(second).status_code == 200
    client.post(reverse("calendar_feed_revoke", args=[chapter.slug]))
    assert Client().get(second).status_code == 404
    member.refresh_from_db()
    assert member.calendar_token is None


def test_the_feed_of_a_member_who_left_is_gone(client_for, member, chapter):
    client_for(member).post(reverse("calendar_feed_create", args=[chapter.slug]))
    path = feed_path(member)
    Member.objects.filter(pk=member.pk).update(status=Member.Status.DROPPED)
    assert Client().get(path).status_code == 404
    assert Client().get("/calendar/not-a-token.ics").status_code == 404


def test_calendar_links_are_post_only(client_for, member, chapter):
    client = client_for(member)
    assert client.get(reverse("calendar_feed_create", args=[chapter.slug])).status_code == 405
    assert client.get(reverse("calendar_feed_revoke", args=[chapter.slug])).status_code == 405


# --- Delivery log --------------------------------------------------------------------------


def test_leaders_see_what_was_sent_to_whom_and_what_failed(client_for, president, member,
                                                           chapter, next_meeting):
    delivery(next_meeting, member, state=Delivery.State.SENT, sent_at=timezone.now(),
             to_email=member.user.email, attempts=1)
    delivery(next_meeting, president, state=Delivery.State.FAILED, attempts=1,
             last_error="SMTPRecipientsRefused: 550 No such user")
    page = client_for(president).get(reverse("delivery_log", args=[chapter.slug]))
    assert page.status_code == 200
    assert member.user.email in page.text
    assert "550 No such user" in page.text
    assert page.text.count(">Resend<") == 2


def test_the_log_filters_by_kind_and_state(client_for, president, member, chapter, next_meeting):
    delivery(next_meeting, member, state=Delivery.State.SENT, sent_at=timezone.now())
    delivery(next_meeting, member, kind=NotificationKind.TALLY, state=Delivery.State.FAILED,
             last_error="boom")
    client = client_for(president)
    url = reverse("delivery_log", args=[chapter.slug])
    failed = client.get(url, {"state": "failed"})
    assert "boom" in failed.text and failed.context["page"].paginator.count == 1
    reminders = client.get(url, {"kind": "reminder"})
    assert reminders.context["page"].paginator.count == 1
    assert client.get(url, {"state": "nonsense"}).status_code == 400
    assert client.get(url, {"page": "999"}).status_code == 200


def test_members_without_a_leading_role_get_403_on_the_log(client_for, member, chapter):
    client = client_for(member)
    assert client.get(reverse("delivery_log", args=[chapter.slug])).status_code == 403
    assert client.post(reverse("delivery_resend", args=[chapter.slug, 1])).status_code == 403


def test_the_log_shows_only_this_chapters_emails(client_for, president, chapter, other_member):
    elsewhere = factories.meeting(other_member.chapter, timezone.now().date())
    delivery(elsewhere, other_member, state=Delivery.State.FAILED, last_error="theirs")
    page = client_for(president).get(reverse("delivery_log", args=[chapter.slug]))
    assert "theirs" not in page.text


def test_the_log_costs_the_same_queries_for_5_or_60_emails(
    client_for, president, chapter, next_meeting
):
    client = client_for(president)
    url = reverse("delivery_log", args=[chapter.slug])

    def count(n):
        for _ in range(n):
            person = factories.member(chapter)
            delivery(next_meeting, person, state=Delivery.State.SENT, sent_at=timezone.now(),
                     resends=1, resent_by=president.user)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    assert count(5) == count(55)


def test_a_double_click_on_resend_sends_once(
    client_for, president, member, chapter, next_meeting, django_capture_on_commit_callbacks
):
    row = delivery(next_meeting, member, state=Delivery.State.FAILED, attempts=8,
                   last_error="Gave up")
    client = client_for(president)
    url = reverse("delivery_resend", args=[chapter.slug, row.pk])
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(url, {"resends": 0})
        second = client.post(url, {"resends": 0})
    assert first.status_code == second.status_code == 302
    assert len(mail.outbox) == 1
    row.refresh_from_db()
    assert (row.state, row.resends, row.attempts) == (Delivery.State.SENT, 1, 1)
    assert row.resent_by == president.user
    # A later, deliberate resend shows the new count and sends again.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"resends": 1})
    assert len(mail.outbox) == 2


def test_resend_returns_to_the_filtered_log_and_refuses_other_targets(
    client_for, president, member, chapter, next_meeting
):
    row = delivery(next_meeting, member, state=Delivery.State.SENT, sent_at=timezone.now())
    client = client_for(president)
    url = reverse("delivery_resend", args=[chapter.slug, row.pk])
    log = reverse("delivery_log", args=[chapter.slug]) + "?state=sent"
    assert client.post(url, {"resends": 0, "next": log})["Location"] == log
    elsewhere = client.post(url, {"resends": 1, "next": "https://evil.example/"})
    assert elsewhere["Location"] == reverse("delivery_log", args=[chapter.slug])


def test_pending_emails_cannot_be_resent(client_for, president, member, chapter, next_meeting):
    row = delivery(next_meeting, member)
    client_for(president).post(reverse("delivery_resend", args=[chapter.slug, row.pk]),
                               {"resends": 0})
    row.refresh_from_db()
    assert row.resends == 0


def test_another_chapters_delivery_is_404_to_a_leader(client_for, president, other_member):
    elsewhere = factories.meeting(other_member.chapter, timezone.now().date())
    row = delivery(elsewhere, other_member, state=Delivery.State.FAILED)
    response = client_for(president).post(
        reverse("delivery_resend", args=[president.chapter.slug, row.pk]), {"resends": 0}
    )
    assert response.status_code == 404


def test_the_feed_costs_the_same_queries_for_2_or_12_meetings(client_for, member, chapter):
    client_for(member).post(reverse("calendar_feed_create", args=[chapter.slug]))
    path = feed_path(member)
    presenter, second = factories.member(chapter), factories.member(chapter)

    def count(weeks):
        start = Meeting.objects.count()
        for week in range(start, start + weeks):
            factories.meeting(chapter, timezone.now().date() + datetime.timedelta(days=7 * week),
                              feature_presenter=presenter, second_feature_presenter=second)
        with CaptureQueriesContext(connection) as queries:
            assert Client().get(path).status_code == 200
        return len(queries)

    assert count(2) == count(10)
