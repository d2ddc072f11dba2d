"""A member's dashboard: referrals waiting for them, their own PALMS numbers (live, marked
provisional until the week's report is completed) and their recent activity.

The windows end on the date of the meeting slips logged now count for, so a slip shows in
"this week" the moment it is logged, not a week later.
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from chapters.models import Chapter
from meetings.models import Meeting
from members.models import Member
from referrals.models import OneToOne, Referral, ThankYou
from reports.palms import COLUMNS, PalmsRow, palms_counts, palms_row, window_meetings

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
    """The date of the meeting slips logged today count for (a read: nothing is scheduled),
    by the cut-off of `meetings.services.meeting_for_slip`: a meeting that has ended takes no
    more slips unless the chapter keeps them open until the report is completed."""
    open_meetings = Meeting.objects.for_chapter(chapter).counted()
    if not chapter.slips_until_report_completed:
        open_meetings = open_meetings.filter(ends_at__gt=timezone.now())
    return (
        open_meetings
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
    # One pass over six months, by week; each window sums its weeks.
    meetings = window_meetings(chapter=chapter, start=earliest, end=end, include_provisional=True)
    weekly = palms_counts(meetings, [member.pk], by_week=True)
    person = {"pk": member.pk, "first_name": member.first_name, "last_name": member.last_name}
    windows = []
    for label, span in WINDOWS:
        start = end - span
        numbers: dict = {}
        for (_, day), figures in weekly.items():
            if start <= day <= end:
                for name, value in figures.items():
                    numbers[name] = numbers.get(name, 0) + value
        row = palms_row(person, {member.pk: numbers})
        provisional = any(start <= day <= end for day in drafts)
        windows.append(NumbersWindow(label, start, end, row, provisional))
    return windows


def _newest(slips, count: int, *related: str):
    """The newest `count` slips with the people they show, chosen before the joins: a busy
    member costs the same, and a join of many tables costs more to plan than to run."""
    newest = slips.order_by("-created_at").values("pk")[:count]
    return slips.model.objects.filter(pk__in=newest).select_related(*related).order_by(
        "-created_at"
    )


def waiting_for(member: Member) -> tuple[list[Referral], int]:
    """Open referrals the member received: the newest few, and how many there are."""
    waiting = Referral.objects.received_by(member).open()
    shown = list(_newest(waiting, WAITING_SHOWN, "giver__user"))
    count = len(shown) if len(shown) < WAITING_SHOWN else waiting.count()
    return shown, count


def recent_activity(member: Member) -> list[Activity]:
    """The latest referrals, thank-yous and one-to-ones the member is on, newest first."""
    # Only the joins the list shows.
    sources = [
        ("referral", Referral.objects.involving(member), ("giver__user", "receiver__user")),
        ("thank-you", ThankYou.objects.involving(member),
         ("thanked_by__user", "credited_to__user", "meeting__chapter")),
        ("one-to-one", OneToOne.objects.involving(member), ("member__user", "met_with__user")),
    ]
    items = [
        Activity(kind, slip.created_at, slip)
        for kind, slips, related in sources
        for slip in _newest(slips, ACTIVITY_SHOWN, *related)
    ]
    items.sort(key=lambda item: item.when, reverse=True)
    return items[:ACTIVITY_SHOWN]
