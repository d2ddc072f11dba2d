"""The weekly meeting: schedule, attendance, self check-in, visitors, agenda, weekly report.

Who may do what (every view first scopes the chapter through `get_chapter_for_user`, so
members of other chapters get 404):
- any member: the meeting list and pages, the agenda, self check-in from the meeting's link;
- leaders (President, Vice President, Secretary/Treasurer; admins): move, cancel or holiday a
  meeting, the feature presenters, attendance, the check-in code, the weekly report's numbers,
  the absence list, inviting a visitor to apply;
- the Visitor Host (and leaders): visitors and their follow-up;
- the Education Coordinator (and leaders): the education moment;
- the Vice President and President (and admins) only: completing the weekly report and
  correcting attendance of a completed week, because completing is the Vice President's duty
  and the President stands in for them.
"""

import datetime
from functools import wraps

import qrcode
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST
from qrcode.image.svg import SvgPathImage

from chapters.htmx import is_htmx
from meetings import services
from meetings.forms import (
    AgendaForm,
    AttendanceCorrectionForm,
    AttendanceMarkForm,
    MeetingMoveForm,
    MeetingStatusForm,
    ReportCompleteForm,
    VisitorFollowUpForm,
    VisitorForm,
)
from meetings.models import Attendance, Meeting, Palms, Visitor
from members.access import ChapterAccess, get_chapter_for_user
from members.models import Member, Role

# How far back a poll for other leaders' taps looks, beyond the previous poll: a mark that
# was still committing when the previous poll ran is picked up by the next.
POLL_OVERLAP = datetime.timedelta(seconds=3)
QUICK_CODES = [(code, label) for code, label in Palms.choices if code != Palms.SUBSTITUTE]


def chapter_view(view):
    """Scope the view to the chapter (404 for outsiders) and show times in its time zone."""

    @login_required
    @wraps(view)
    def wrapper(request, slug, *args, **kwargs):
        access = get_chapter_for_user(request, slug)
        with timezone.override(access.chapter.zone):
            return view(request, access, *args, **kwargs)

    return wrapper


def may_complete_report(access: ChapterAccess) -> bool:
    return access.is_admin or bool(access.roles & {Role.VICE_PRESIDENT, Role.PRESIDENT})


def require_report_role(access: ChapterAccess) -> None:
    if not may_complete_report(access):
        raise PermissionDenied("Only the Vice President or the President can do this.")


def chapter_meeting(access: ChapterAccess, meeting_id: int) -> Meeting:
    return get_object_or_404(
        Meeting.objects.select_related(
            "chapter", "feature_presenter__user", "second_feature_presenter__user",
            "report_completed_by",
        ),
        chapter=access.chapter,
        pk=meeting_id,
    )


def page_context(access: ChapterAccess, **extra) -> dict:
    return {
        "access": access,
        "chapter": access.chapter,
        "is_leader": access.is_leader,
        "can_host_visitors": access.has_role(Role.VISITOR_HOST),
        "can_complete": may_complete_report(access),
        **extra,
    }


# --- Meetings -----------------------------------------------------------------------------


@require_GET
@chapter_view
def meeting_next(request, access):
    """The meeting at the door this week: today's, or else the next one."""
    meeting = services.meeting_this_week(access.chapter)
    if meeting is None:
        return redirect("meeting_list", slug=access.chapter.slug)
    return redirect("meeting_detail", slug=access.chapter.slug, meeting_id=meeting.pk)


@require_GET
@chapter_view
def meeting_detail(request, access, meeting_id):
    meeting = chapter_meeting(access, meeting_id)
    mine = None
    if access.member is not None:
        mine = Attendance.objects.filter(meeting=meeting, member=access.member).first()
    visitors = Visitor.objects.filter(meeting=meeting, attended=True).select_related(
        "invited_by__user"
    )
    return render(
        request,
        "meetings/meeting_detail.html",
        page_context(
            access,
            meeting=meeting,
            mine=mine,
            visitors=list(visitors) if access.has_role(Role.VISITOR_HOST) else None,
            visitor_count=len(visitors) if access.has_role(Role.VISITOR_HOST) else visitors.count(),
            checkin_open=meeting.checkin_is_open(),
        ),
    )


@chapter_view
def meeting_edit(request, access, meeting_id):
    """Move a meeting (day, time, place); cancel it or make it a holiday."""
    access.require_leader()
    meeting = chapter_meeting(access, meeting_id)
    form = MeetingMoveForm.for_meeting(meeting, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.meeting_move(meeting=meeting, **form.cleaned_data)
        except services.MeetingError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "The meeting was moved. Members see the new time.")
            return redirect("meeting_detail", slug=access.chapter.slug, meeting_id=meeting.pk)
    return render(
        request,
        "meetings/meeting_edit.html",
        page_context(access, meeting=meeting, form=form, status_form=MeetingStatusForm()),
        status=400 if form.errors else 200,
    )


@require_POST
@chapter_view
def meeting_status(request, access, meeting_id):
    access.require_leader()
    meeting = chapter_meeting(access, meeting_id)
    form = MeetingStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose cancelled, holiday or scheduled.")
        return redirect("meeting_edit", slug=access.chapter.slug, meeting_id=meeting.pk)
    note = form.cleaned_data["note"] if "note" in request.POST else None
    try:
        services.meeting_set_status(
            meeting=meeting, status=form.cleaned_data["status"], note=note, by=request.user,
            move_confirmed=form.cleaned_data["move_confirmed"],
        )
    except services.SlipsWouldMove as moving:
        # Asked again with the count, keeping the status and note chosen.
        if note is None:
            form.cleaned_data["note"] = meeting.note
        return render(
            request,
            "meetings/meeting_edit.html",
            page_context(
                access, meeting=meeting, form=MeetingMoveForm.for_meeting(meeting),
                status_form=form, moving=moving,
            ),
        )
    except services.MeetingError as error:
        messages.error(request, str(error))
        return redirect("meeting_edit", slug=access.chapter.slug, meeting_id=meeting.pk)
    messages.success(request, f"The meeting is now {meeting.get_status_display().lower()}.")
    return redirect("meeting_detail", slug=access.chapter.slug, meeting_id=meeting.pk)


@chapter_view
def meeting_agenda(request, access, meeting_id):
    """Feature presenters (leaders confirm the rotation's suggestion) and education moment."""
    access.require_role(Role.EDUCATION_COORDINATOR)
    meeting = chapter_meeting(access, meeting_id)
    rotation = services.feature_presenter_rotation(meeting=meeting)
    initial = {
        **services.feature_presenters_proposed(meeting=meeting, rotation=rotation),
        "education_moment": meeting.education_moment,
    }
    form = AgendaForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        meeting=meeting,
        can_choose_presenter=access.is_leader,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.meeting_agenda_set(meeting=meeting, **form.cleaned_data)
        except services.MeetingError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Agenda saved.")
            return redirect("meeting_detail", slug=access.chapter.slug, meeting_id=meeting.pk)
    return render(
        request,
        "meetings/meeting_agenda.html",
        page_context(
            access,
            meeting=meeting,
            form=form,
            rotation=rotation,
            suggested=services.feature_presenter_suggestions(meeting=meeting, rotation=rotation),
        ),
        status=400 if form.errors else 200,
    )


# --- Attendance ---------------------------------------------------------------------------


def _with_standings(access: ChapterAccess, meeting: Meeting, members) -> list[Member]:
    standings = services.absence_standings(access.chapter, until=meeting.starts_at)
    for member in members:
        member.standing = standings.get(member.pk)
    return members


def _row_context(access, meeting, **extra) -> dict:
    return page_context(
        access,
        meeting=meeting,
        codes=QUICK_CODES,
        editable=meeting.counts_for_attendance and not meeting.is_completed,
        **extra,
    )


def _rows_response(request, access, meeting, rows, *, poll_since=None) -> str:
    """Rows (swapped in place) and the summary, as HTMX out-of-band fragments."""
    context = _row_context(access, meeting, oob=True, polled=poll_since is not None)
    parts = [
        render_to_string("meetings/attendance.html#member_row", {**context, "row": row}, request)
        for row in rows
    ]
    parts.append(
        render_to_string(
            "meetings/attendance.html#summary",
            {**context, "summary": services.attendance_summary(meeting)},
            request,
        )
    )
    if poll_since is not None:
        parts.append(
            render_to_string(
                "meetings/attendance.html#poller",
                {**context, "oob": False, "since": poll_since.isoformat()},
                request,
            )
        )
    return "".join(parts)


def _show_error(row: Member, error: str | None, data) -> Member:
    """Put a refused mark's message (and the typed substitute) on its row."""
    row.error = error
    row.open_substitute = bool(error) and data.get("code") == Palms.SUBSTITUTE
    row.typed_substitute = data.get("substitute_name", "") if error else ""
    return row


def _attendance_page(request, access, meeting, *, failed=None, status=200):
    rows = _with_standings(access, meeting, services.attendance_sheet(meeting))
    if failed is not None:
        member_id, error, data = failed
        for row in rows:
            if row.pk == member_id:
                _show_error(row, error, data)
    return render(
        request,
        "meetings/attendance.html",
        _row_context(
            access,
            meeting,
            rows=rows,
            summary=services.attendance_summary(meeting),
            since=timezone.now().isoformat(),
            oob=False,
        ),
        status=status,
    )


@require_GET
@chapter_view
def attendance(request, access, meeting_id):
    """One tap per member: the phone-first attendance sheet."""
    access.require_leader()
    meeting = chapter_meeting(access, meeting_id)
    return _attendance_page(request, access, meeting)


@require_POST
@chapter_view
def attendance_mark(request, access, meeting_id):
    access.require_leader()
    meeting = chapter_meeting(access, meeting_id)
    form = AttendanceMarkForm(request.POST)
    member_id = str(form.data.get("member", ""))
    if not (member_id.isascii() and member_id.isdigit()):
        return HttpResponse("Choose a member.", status=400)
    member = get_object_or_404(Member, chapter=access.chapter, pk=int(member_id))
    error = None
    if form.is_valid():
        try:
            services.attendance_mark(
                meeting=meeting,
                member=member,
                code=form.cleaned_data["code"],
                by=request.user,
                substitute_name=form.cleaned_data["substitute_name"],
            )
        except services.MeetingError as exc:
            error = str(exc)
    else:
        error = " ".join(text for texts in form.errors.values() for text in texts)
    if is_htmx(request):
        row = _with_standings(access, meeting, [_member_with_mark(meeting, member)])[0]
        _show_error(row, error, form.data)
        # 200 even with an error: HTMX swaps the row in, and it shows the message beside it.
        return HttpResponse(_rows_response(request, access, meeting, [row]))
    if error:
        return _attendance_page(
            request, access, meeting, failed=(member.pk, error, form.data), status=400
        )
    url = reverse("attendance", args=[access.chapter.slug, meeting.pk])
    return redirect(f"{url}#member-{member.pk}")


def _member_with_mark(meeting: Meeting, member: Member) -> Member:
    member = Member.objects.select_related("user", "classification").get(pk=member.pk)
    member.mark = (
        Attendance.objects.filter(meeting=meeting, member=member)
        .select_related("marked_by")
        .first()
    )
    return member


@require_GET
@chapter_view
def attendance_rows(request, access, meeting_id):
    """Rows other leaders changed since the last poll (HTMX polls every few seconds)."""
    access.require_leader()
    meeting = chapter_meeting(access, meeting_id)
    now = timezone.now()
    try:
        since = datetime.datetime.fromisoformat(request.GET.get("since", ""))
    except ValueError:
        since = now
    if timezone.is_naive(since):
        since = timezone.make_aware(since, datetime.UTC)
    rows = _with_standings(
        access, meeting, services.attendance_rows_changed(meeting, since - POLL_OVERLAP)
    )
    return HttpResponse(_rows_response(request, access, meeting, rows, poll_since=now))


@require_POST
@chapter_view
def attendance_mark_rest(request, access, meeting_id):
    access.require_leader()
    meeting = chapter_meeting(access, meeting_id)
    try:
        marked = services.attendance_mark_rest(meeting=meeting, by=request.user)
    except services.MeetingError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, f"Marked {marked} member{'s' if marked != 1 else ''} not yet marked."
        )
    return redirect("attendance", slug=access.chapter.slug, meeting_id=meeting.pk)


@chapter_view
def attendance_correct(request, access, meeting_id, member_id):
    """Correct one member's attendance in a completed week, with a reason on record."""
    require_report_role(access)
    meeting = chapter_meeting(access, meeting_id)
    member = get_object_or_404(
        Member.objects.select_related("user"), chapter=access.chapter, pk=member_id
    )
    if not meeting.is_completed:
        return redirect("attendance", slug=access.chapter.slug, meeting_id=meeting.pk)
    current = Attendance.objects.filter(meeting=meeting, member=member).first()
    form = AttendanceCorrectionForm(
        request.POST if request.method == "POST" else None,
        initial={"code": current.code, "substitute_name": current.substitute_name}
        if current
        else {},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.attendance_correct(
                meeting=meeting, member=member, by=request.user, **form.cleaned_data
            )
        except services.MeetingError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Attendance of {member.full_name} corrected.")
            return redirect("meeting_report", slug=access.chapter.slug, meeting_id=meeting.pk)
    return render(
        request,
        "meetings/attendance_correct.html",
        page_context(access, meeting=meeting, member=member, current=current, form=form),
        status=400 if form.errors else 200,
    )


# --- Self check-in ------------------------------------------------------------------------


def _qr_svg(url: str) -> str:
    svg = qrcode.make(url, image_factory=SvgPathImage, box_size=10, border=2).to_string(
        encoding="unicode"
    )
    # Generated from our own URL (path data only), so safe to inline; CSS sizes it.
    return mark_safe(  # noqa: S308  # nosec B308 B703
        svg.replace(
            "<svg ", '<svg class="qr-code" role="img" aria-label="QR code of the check-in link" ', 1
        )
    )


@require_GET
@chapter_view
def checkin_code(request, access, meeting_id):
    """The leaders' screen at the door: a QR code members scan to check themselves in."""
    access.require_leader()
    meeting = chapter_meeting(access, meeting_id)
    url = request.build_absolute_uri(
        reverse("checkin", args=[access.chapter.slug, meeting.pk, meeting.checkin_token])
    )
    return render(
        request,
        "meetings/checkin_code.html",
        page_context(
            access,
            meeting=meeting,
            url=url,
            qr=_qr_svg(url),
            checkin_open=meeting.checkin_is_open(),
            summary=services.attendance_summary(meeting),
        ),
    )


@chapter_view
def checkin(request, access, meeting_id, checkin_token):
    """A member checks in from the link or QR code: P, or L after the chapter's cut-off."""
    meeting = chapter_meeting(access, meeting_id)
    if not meeting.checkin_token_matches(checkin_token):
        raise Http404("This check-in link is not valid.")
    error = None
    if request.method == "POST":
        if access.member is None:
            raise PermissionDenied("Only the chapter's members can check in.")
        try:
            row, made = services.attendance_check_in(meeting=meeting, member=access.member)
        except services.MeetingError as exc:
            error = str(exc)
        else:
            if made:
                messages.success(
                    request,
                    f"Checked in: {row.get_code_display()} at "
                    f"{timezone.localtime(row.marked_at):%H:%M}.",
                )
            return redirect(request.path)
    mine = None
    if access.member is not None:
        mine = (
            Attendance.objects.filter(meeting=meeting, member=access.member)
            .select_related("marked_by")
            .first()
        )
    return render(
        request,
        "meetings/checkin.html",
        page_context(
            access,
            meeting=meeting,
            mine=mine,
            error=error,
            checkin_open=meeting.checkin_is_open(),
            late=timezone.now() > meeting.checkin_late_after(),
        ),
        status=400 if error else 200,
    )


# --- Visitors -----------------------------------------------------------------------------


def _visitors(access: ChapterAccess):
    return (
        Visitor.objects.for_chapter(access.chapter)
        .with_visits()
        .with_classification_holder()
        .select_related("meeting", "classification", "invited_by__user")
    )


def _classification_widget(access: ChapterAccess, form: VisitorForm) -> None:
    form.fields["classification"].widget.attrs.update(
        {
            "data-hx-get": reverse("visitor_classification_check", args=[access.chapter.slug]),
            "data-hx-trigger": "change",
            "data-hx-target": "#classification-warning",
            "data-hx-swap": "outerHTML",
            "aria-describedby": "classification-warning",
        }
    )


@chapter_view
def meeting_visitors(request, access, meeting_id):
    """Quick entry of visitors at the door, and the meeting's visitors so far."""
    access.require_role(Role.VISITOR_HOST)
    meeting = chapter_meeting(access, meeting_id)
    form = VisitorForm(request.POST if request.method == "POST" else None, chapter=access.chapter)
    _classification_widget(access, form)
    if request.method == "POST" and form.is_valid():
        try:
            visitor, _ = services.visitor_record(
                meeting=meeting, by=request.user, **form.cleaned_data
            )
        except services.MeetingError as error:
            form.add_error(None, str(error))
        else:
            visitor = _visitors(access).get(pk=visitor.pk)
            messages.success(request, f"{visitor.name} recorded.")
            if visitor.classification_taken:
                messages.warning(
                    request,
                    f"{visitor.classification} is already taken in the chapter by "
                    f"{visitor.holder_name}.",
                )
            if visitor.visits > access.chapter.visitor_visit_limit:
                messages.warning(
                    request,
                    f"{visitor.name} has visited {visitor.visits} times; the chapter allows "
                    f"{access.chapter.visitor_visit_limit} before applying.",
                )
            return redirect("meeting_visitors", slug=access.chapter.slug, meeting_id=meeting.pk)
    holder = None
    if form.is_bound and form.data.get("classification"):
        holder = _holder(access, form.data.get("classification"))
    return render(
        request,
        "meetings/meeting_visitors.html",
        page_context(
            access,
            meeting=meeting,
            form=form,
            holder=holder,
            visitors=_visitors(access).filter(meeting=meeting).order_by("created_at"),
            follow_up_choices=Visitor.FollowUp.choices,
        ),
        status=400 if form.errors else 200,
    )


def _holder(access: ChapterAccess, classification_id) -> Member | None:
    typed = str(classification_id)
    if not (typed.isascii() and typed.isdigit()):  # "²".isdigit() is true, and int() refuses it
        return None
    return (
        Member.objects.current()
        .for_chapter(access.chapter)
        .filter(classification_id=int(classification_id))
        .select_related("user", "classification")
        .first()
    )


@require_GET
@chapter_view
def visitor_classification_check(request, access):
    """The warning shown as soon as a visitor's classification is chosen, if it is taken."""
    access.require_role(Role.VISITOR_HOST)
    holder = _holder(access, request.GET.get("classification", ""))
    return render(
        request,
        "meetings/meeting_visitors.html#classification_warning",
        page_context(access, holder=holder),
    )


@require_GET
@chapter_view
def visitor_list(request, access):
    """The Visitor Host's follow-up list across the chapter's meetings."""
    access.require_role(Role.VISITOR_HOST)
    visitors = _visitors(access).order_by("-meeting__starts_at", "-created_at")
    state = request.GET.get("follow_up", "")
    if state in Visitor.FollowUp.values:
        visitors = visitors.filter(follow_up=state)
    page = Paginator(visitors, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "meetings/visitor_list.html",
        page_context(
            access,
            page=page,
            state=state,
            follow_up_choices=Visitor.FollowUp.choices,
        ),
    )


def _visitor(access: ChapterAccess, visitor_id: int) -> Visitor:
    return get_object_or_404(
        Visitor.objects.select_related("meeting__chapter", "classification"),
        meeting__chapter=access.chapter,
        pk=visitor_id,
    )


@require_POST
@chapter_view
def visitor_follow_up(request, access, visitor_id):
    access.require_role(Role.VISITOR_HOST)
    visitor = _visitor(access, visitor_id)
    form = VisitorFollowUpForm(request.POST)
    error = None
    if form.is_valid():
        services.visitor_follow_up_set(
            visitor=visitor,
            follow_up=form.cleaned_data["follow_up"],
            notes=form.cleaned_data["notes"] if "notes" in request.POST else None,
        )
    else:
        error = "Choose a follow-up state."
    if is_htmx(request):
        return render(
            request,
            "meetings/visitor_list.html#visitor_row",
            page_context(
                access,
                visitor=_visitors(access).get(pk=visitor.pk),
                follow_up_choices=Visitor.FollowUp.choices,
                error=error,
                saved=error is None,
            ),
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"Follow-up of {visitor.name} saved.")
    if request.POST.get("back") == "meeting":
        return redirect("meeting_visitors", slug=access.chapter.slug, meeting_id=visitor.meeting_id)
    return redirect("visitor_list", slug=access.chapter.slug)


@require_POST
@chapter_view
def visitor_invite(request, access, visitor_id):
    """Invite to apply: hands the visitor over to membership as an application."""
    access.require_leader()
    visitor = _visitor(access, visitor_id)
    application, message = services.visitor_invite_to_apply(visitor=visitor, by=request.user)
    if application is None and not (visitor.email and visitor.classification_id):
        messages.info(request, message)
        url = reverse("application_create", args=[access.chapter.slug])
        return redirect(f"{url}?visitor={visitor.pk}")
    (messages.success if application else messages.warning)(request, message)
    return redirect("visitor_list", slug=access.chapter.slug)


# --- The weekly report --------------------------------------------------------------------


@require_POST
@chapter_view
def meeting_report_complete(request, access, meeting_id):
    require_report_role(access)
    meeting = chapter_meeting(access, meeting_id)
    form = ReportCompleteForm(request.POST)
    send = form.is_valid() and form.cleaned_data["send_absence_notices"]
    was_completed = meeting.is_completed
    try:
        services.report_complete(meeting=meeting, by=request.user, send_absence_notices=send)
    except services.MeetingError as error:
        messages.error(request, str(error))
    else:
        if not was_completed:
            messages.success(
                request,
                "Weekly report completed: the week is locked."
                + (" Absence notices are on their way." if send else ""),
            )
    return redirect("meeting_report", slug=access.chapter.slug, meeting_id=meeting.pk)


# --- The attendance policy ----------------------------------------------------------------


@require_GET
@chapter_view
def absence_list(request, access):
    """Each member's absences in the rolling window; those at or over the limit flagged."""
    access.require_leader()
    standings = services.absence_standings(access.chapter)
    members = list(
        Member.objects.current()
        .for_chapter(access.chapter)
        .select_related("user", "classification")
    )
    for member in members:
        member.standing = standings.get(member.pk) or services.AbsenceStanding(member.pk)
    members.sort(key=lambda m: (-m.standing.counted_absences, m.full_name.lower()))
    return render(
        request,
        "meetings/absences.html",
        page_context(
            access,
            members=members,
            flagged=sum(1 for m in members if m.standing.flagged),
        ),
    )

