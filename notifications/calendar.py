"""iCalendar (.ics) for meetings: the reminder's attachment and each member's private feed.

Every meeting keeps one UID (`meeting-<id>@<site host>`), so a calendar program that imported
the reminder's attachment and also follows the feed shows one event, updated in place when the
meeting moves or is cancelled. Times are written in UTC, which every calendar program reads and
shows in its own time zone; the chapter's zone travels as X-WR-TIMEZONE for the feed.
"""

import datetime
from urllib.parse import urlsplit

from django.conf import settings
from icalendar import Calendar, Event

from chapters.models import Chapter

PRODID = "-//Chapterhouse//Meetings//EN"
FEED_WEEKS_BACK = 8


def site_host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "chapterhouse.invalid"


def meeting_uid(meeting) -> str:
    return f"meeting-{meeting.pk}@{site_host()}"


def _utc(moment: datetime.datetime) -> datetime.datetime:
    return moment.astimezone(datetime.UTC)


def meeting_event(meeting, *, stamp: datetime.datetime) -> Event:
    """One meeting as a VEVENT: start, end, where, and what is on the agenda."""
    from meetings.models import Meeting

    chapter = meeting.chapter
    event = Event()
    event.add("uid", meeting_uid(meeting))
    event.add("dtstamp", _utc(stamp))
    event.add("dtstart", _utc(meeting.starts_at))
    event.add("dtend", _utc(meeting.ends_at))
    event.add("summary", f"{chapter.name} weekly meeting")
    location = meeting.where or meeting.link
    if location:
        event.add("location", location)
    if meeting.link:
        event.add("url", meeting.link)
    lines = []
    presenters = meeting.feature_presenters
    if presenters:
        plural = "s" if len(presenters) > 1 else ""
        lines.append(f"Feature presentation{plural}: {meeting.feature_presenter_names}")
    if meeting.education_moment:
        lines.append(f"Education moment: {meeting.education_moment}")
    if meeting.note:
        lines.append(meeting.note)
    if meeting.where and meeting.link:
        lines.append(f"Online: {meeting.link}")
    if lines:
        event.add("description", "\n".join(lines))
    cancelled = meeting.status in (Meeting.Status.CANCELLED, Meeting.Status.HOLIDAY)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    return event


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    return calendar


def meeting_ics(meeting, *, stamp: datetime.datetime) -> bytes:
    """A one-event calendar for a reminder's attachment."""
    calendar = _calendar(f"{meeting.chapter.name} meetings")
    calendar.add_component(meeting_event(meeting, stamp=stamp))
    return calendar.to_ical()


def chapter_feed_ics(chapter: Chapter, *, now: datetime.datetime) -> bytes:
    """The chapter's meetings from a few weeks back to the end of the schedule."""
    from meetings.models import Meeting

    calendar = _calendar(f"{chapter.name} meetings")
    calendar.add("x-wr-timezone", chapter.time_zone)
    calendar.add("refresh-interval", datetime.timedelta(hours=6), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT6H")
    meetings = (
        Meeting.objects.for_chapter(chapter)
        .filter(starts_at__gte=now - datetime.timedelta(weeks=FEED_WEEKS_BACK))
        .select_related("chapter", "feature_presenter__user", "second_feature_presenter__user")
        .order_by("starts_at")
    )
    for meeting in meetings:
        calendar.add_component(meeting_event(meeting, stamp=now))
    return calendar.to_ical()
