"""Pages of the meetings area built on the week's figures (reports/weekly.py): the meetings
list with the leader's "this week" card, and the weekly report with its live numbers. Their
actions (attendance, completing the report) stay with meetings."""

from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from meetings import services as meetings_services
from meetings.forms import ReportCompleteForm
from meetings.models import AbsenceNotice, Attendance, Meeting, Palms
from meetings.views import chapter_meeting, chapter_view, page_context
from referrals.models import SlipCorrection
from reports.weekly import report_numbers, week_tasks


@require_GET
@chapter_view
def meeting_list(request, access):
    now = timezone.now()
    meetings = Meeting.objects.for_chapter(access.chapter).select_related(
        "chapter", "feature_presenter__user", "second_feature_presenter__user"
    )
    upcoming = list(meetings.upcoming(now)[: meetings_services.SCHEDULE_WEEKS])
    past = Paginator(meetings.filter(ends_at__lte=now).order_by("-starts_at"), 13).get_page(
        request.GET.get("page")
    )
    this_week = None
    if access.is_leader:
        # The meeting that needs the leaders' action comes first, whether it is ahead or past.
        meeting = meetings_services.meeting_to_act_on(access.chapter, now)
        this_week = week_tasks(meeting, now) if meeting is not None else None
    return render(
        request,
        "meetings/meeting_list.html",
        page_context(access, upcoming=upcoming, past=past, this_week=this_week),
    )


@require_GET
@chapter_view
def meeting_report(request, access, meeting_id):
    """The weekly report: Draft with live provisional numbers until completed (locked)."""
    access.require_leader()
    meeting = chapter_meeting(access, meeting_id)
    grouped = names_by_code(meeting)
    crossings = (
        meetings_services.absence_crossings(meeting) if meeting.counts_for_attendance else []
    )
    notices = AbsenceNotice.objects.filter(meeting=meeting).select_related("member__user")
    corrections = SlipCorrection.objects.filter(meeting=meeting).select_related("changed_by")
    unmarked = (
        meetings_services.members_owing_a_mark(meeting)
        .exclude(Exists(Attendance.objects.filter(meeting=meeting, member=OuterRef("pk"))))
        .select_related("user")
    )
    return render(
        request,
        "meetings/report.html",
        page_context(
            access,
            meeting=meeting,
            numbers=report_numbers(meeting),
            absent=grouped.get(Palms.ABSENT, []),
            late=grouped.get(Palms.LATE, []),
            medical=grouped.get(Palms.MEDICAL, []),
            substitutes=grouped.get(Palms.SUBSTITUTE, []),
            unmarked=list(unmarked),
            crossings=crossings,
            notices=list(notices),
            corrections=list(corrections),
            complete_form=ReportCompleteForm(),
            started=meeting.starts_at <= timezone.now(),
        ),
    )


@require_GET
@chapter_view
def meeting_report_numbers(request, access, meeting_id):
    """The report's numbers alone, polled while the week is a draft."""
    access.require_leader()
    meeting = chapter_meeting(access, meeting_id)
    return render(
        request,
        "meetings/report.html#numbers",
        page_context(access, meeting=meeting, numbers=report_numbers(meeting)),
    )


def names_by_code(meeting: Meeting) -> dict[str, list[Attendance]]:
    rows = (
        Attendance.objects.filter(meeting=meeting)
        .exclude(code=Palms.PRESENT)
        .select_related("member__user")
        .order_by("member__user__first_name", "member__user__last_name")
    )
    grouped: dict[str, list[Attendance]] = {}
    for row in rows:
        grouped.setdefault(row.code, []).append(row)
    return grouped
