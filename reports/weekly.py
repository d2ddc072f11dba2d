"""The weekly report's numbers and a leader's checklist for the week. Every member figure is
the PALMS summary's own (reports/palms.py, one definition per figure), totalled over the
chapter's members; the few counts of slips rather than members are named so."""

import datetime
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from meetings.models import Meeting, Visitor
from meetings.services import attendance_summary
from referrals.models import CEU, OneToOne, Referral, ThankYou
from reports.palms import palms_rows, palms_totals


def report_numbers(meeting: Meeting) -> dict:
    """The week's provisional (Draft) or final (Completed) numbers."""
    week = palms_totals(palms_rows(
        chapter=meeting.chapter, start=meeting.local_date, end=meeting.local_date,
        include_provisional=True,
    ))
    return {
        "attendance": attendance_summary(meeting),
        "palms": week,
        "referrals": {
            "inside": week.RGI,
            "outside": week.RGO,
            "total": week.RGI + week.RGO,
            "received_from_other_chapters": Referral.objects.filter(receiver_meeting=meeting)
            .exclude(meeting=meeting)
            .count(),
        },
        # Slips logged for the week (a leader's check), beside the figure PALMS credits.
        "tyfcb": {"total": week.TYFCB, "count": ThankYou.objects.filter(meeting=meeting).count()},
        # PALMS counts a one-to-one for each member who met; the slips are half as many when
        # both are of the chapter.
        "one_to_ones": week.one_to_ones,
        "one_to_one_slips": OneToOne.objects.filter(
            Q(meeting=meeting) | Q(met_with_meeting=meeting)
        ).count(),
        "ceus": {"credits": week.CEU, "count": CEU.objects.filter(meeting=meeting).count()},
        "testimonials": week.T,
        # V counts the visitors members brought; the meeting may have had others.
        "visitors": week.V,
        "visitors_at_meeting": Visitor.objects.filter(meeting=meeting, attended=True).count(),
    }


@dataclass
class WeekTasks:
    """What is left to do for one meeting's weekly report, and the one thing to do next."""

    meeting: Meeting
    numbers: dict
    started: bool
    next_action: str  # "attendance", "report" or "" when nothing is left

    @property
    def unmarked(self) -> int:
        return self.numbers["attendance"]["unmarked"]

    @property
    def slips(self) -> int:
        numbers = self.numbers
        return (numbers["referrals"]["total"] + numbers["tyfcb"]["count"]
                + numbers["one_to_one_slips"] + numbers["ceus"]["count"]
                + numbers["testimonials"])


def week_tasks(meeting: Meeting, now: datetime.datetime | None = None) -> WeekTasks:
    """The leader's checklist for a meeting: take attendance, add visitors, check the slips,
    complete the report."""
    now = now or timezone.now()
    numbers = report_numbers(meeting)
    if meeting.is_completed or not meeting.counts_for_attendance:
        action = ""
    elif numbers["attendance"]["unmarked"]:
        action = "attendance"
    else:
        action = "report"
    return WeekTasks(meeting=meeting, numbers=numbers, started=meeting.starts_at <= now,
                     next_action=action)
