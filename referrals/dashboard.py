"""A member's dashboard: referrals waiting for them, their own PALMS numbers (live, marked
provisional until the week's report is completed) and their recent activity.

The windows end on the date of the meeting slips logged now count for, so a slip shows in
"this week" the moment it is logged, not a week later.
"""

import datetime
from dataclasses import dataclass

from chapters.models import Chapter
from chapters.palms import COLUMNS, PalmsRow, palms_rows
from meetings.models import Meeting
from members.models import Member
from referrals.models import OneToOne, Referral, ThankYou

WAITING_SHOWN = 5
ACTIVITY_SHOWN = 8
WINDOWS = [
    ("This week", datetime.timedelta(days=6)),
    ("Last 30 days", datetime.timedelta(days=29)),
    ("Last 6 months", datetime.timedelta(weeks=26) - datetime.timedelta(days=1)),
]


@dataclass(frozen=True)
class NumbersWindow:
    label: str
    start: datetime.date
    end: datetime.date
    row: PalmsRow
    provisional: bool


# What each PALMS column means, for members who do not know the codes by heart.
MEANINGS = {
    "P": "present", "A": "absent", "L": "late", "M": "medical / excused", "S": "substitute sent",
    "RGI": "referrals given inside", "RGO": "referrals given outside",
    "RRI": "referrals received inside", "RRO": "referrals received outside",
    "V": "visitors brought", "1-2-1": "one-to-ones", "TYFCB": "closed business credited",
    "CEU": "education credits", "T": "testimonials",
}


@dataclass(frozen=True)
class NumbersLine:
    column: str
    meaning: str
    values: list


def numbers_table(windows: list[NumbersWindow]) -> list[NumbersLine]:
    """The PALMS columns as lines, one value per window: fits a phone where 14 columns do not."""
    return [
        NumbersLine(header, MEANINGS[header], [getattr(w.row, attribute) for w in windows])
        for header, attribute in COLUMNS
        if header in MEANINGS
    ]


@dataclass(frozen=True)
class Activity:
    kind: str  # "referral", "thank-you" or "one-to-one"
    when: datetime.datetime
    slip: object


def gathering_week(chapter: Chapter, today: datetime.date) -> datetime.date:
    """The date of the meeting slips logged today count for (a read: nothing is scheduled)."""
    return (
        Meeting.objects.for_chapter(chapter)
        .counted()
        .filter(local_date__gte=today, report_status=Meeting.ReportStatus.DRAFT)
        .order_by("local_date")
        .values_list("local_date", flat=True)
        .first()
    ) or today


def my_numbers(member: Member, today: datetime.date) -> list[NumbersWindow]:
    """The member's PALMS row for this week, the last 30 days and the last 6 months."""
    chapter = member.chapter
    end = gathering_week(chapter, today)
    earliest = end - WINDOWS[-1][1]
    drafts = set(
        Meeting.objects.for_chapter(chapter)
        .counted()
        .filter(local_date__range=(earliest, end), report_status=Meeting.ReportStatus.DRAFT)
        .values_list("local_date", flat=True)
    )
    windows = []
    for label, span in WINDOWS:
        start = end - span
        rows = palms_rows(
            chapter=chapter, start=start, end=end, include_provisional=True, member_ids=[member.pk]
        )
        row = rows[0] if rows else PalmsRow(member.pk, member.first_name, member.last_name)
        provisional = any(start <= day <= end for day in drafts)
        windows.append(NumbersWindow(label, start, end, row, provisional))
    return windows


def waiting_for(member: Member) -> tuple[list[Referral], int]:
    """Open referrals the member received: the newest few, and how many there are."""
    waiting = Referral.objects.received_by(member).open()
    shown = list(waiting.with_people().order_by("-created_at")[:WAITING_SHOWN])
    count = len(shown) if len(shown) < WAITING_SHOWN else waiting.count()
    return shown, count


def recent_activity(member: Member) -> list[Activity]:
    """The latest referrals, thank-yous and one-to-ones the member is on, newest first."""
    items = [
        Activity("referral", referral.created_at, referral)
        for referral in Referral.objects.involving(member)
        .with_people()
        .order_by("-created_at")[:ACTIVITY_SHOWN]
    ]
    items += [
        Activity("thank-you", thank_you.created_at, thank_you)
        for thank_you in ThankYou.objects.involving(member)
        .with_people()
        .order_by("-created_at")[:ACTIVITY_SHOWN]
    ]
    items += [
        Activity("one-to-one", one_to_one.created_at, one_to_one)
        for one_to_one in OneToOne.objects.involving(member)
        .with_people()
        .order_by("-created_at")[:ACTIVITY_SHOWN]
    ]
    items.sort(key=lambda item: item.when, reverse=True)
    return items[:ACTIVITY_SHOWN]
