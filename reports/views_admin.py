"""Running chapters in the app: admins create chapters and see all of them at a glance;
each chapter's leadership team keeps its settings (schedule, venue, policies, rule set)."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from chapters import services
from chapters.forms_admin import ChapterCreateForm, ChapterSettingsForm
from chapters.models import Chapter
from chapters.search import search_text
from meetings.models import Attendance, Meeting
from members.access import get_chapter_for_user
from members.models import Application, AuditEntry, Member
from reports.scoring import chapter_light, member_lights

RENEWAL_SOON_DAYS = 60
ATTENDANCE_WEEKS = 13


def _require_admin(request) -> None:
    if not request.user.is_staff:
        raise PermissionDenied("Only site admins can do this.")


def _count(queryset, group: str):
    """A per-chapter count as a subquery, so the overview is one query whatever its size."""
    counted = queryset.order_by().values(group).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted[:1], output_field=IntegerField()), 0)


def chapters_overview(*, today: datetime.date | None = None):
    """Every chapter with its size, renewals due soon, open applications and attendance over
    the last completed weeks."""
    today = today or timezone.localdate()
    chapter = OuterRef("pk")
    members = Member.objects.filter(chapter=chapter)
    recent = Attendance.objects.filter(
        meeting__chapter=chapter,
        meeting__report_status=Meeting.ReportStatus.COMPLETED,
        meeting__local_date__gte=today - datetime.timedelta(weeks=ATTENDANCE_WEEKS),
        meeting__local_date__lte=today,
    )
    return Chapter.objects.annotate(
        size=_count(members.filter(status__in=Member.Status.holding_values()), "chapter"),
        on_leave=_count(members.filter(status=Member.Status.ON_LEAVE), "chapter"),
        renewals_due=_count(
            members.filter(
                status__in=Member.Status.current_values(),
                renewal_due_on__lte=today + datetime.timedelta(days=RENEWAL_SOON_DAYS),
            ),
            "chapter",
        ),
        open_applications=_count(
            Application.objects.filter(chapter=chapter, status=Application.Status.PENDING),
            "chapter",
        ),
        attendance_rows=_count(recent, "meeting__chapter"),
        absences=_count(recent.filter(code="A"), "meeting__chapter"),
    ).order_by("name")


@require_safe
@login_required
def chapter_overview(request):
    """All chapters: size, renewals due, applications, attendance and traffic lights."""
    _require_admin(request)
    chapters = chapters_overview()
    query = search_text(request)
    if query:
        chapters = chapters.filter(Q(name__icontains=query) | Q(region__icontains=query))
    page = Paginator(chapters, 50).get_page(request.GET.get("page"))
    return render(request, "chapters/admin/overview.html", {
        "page": page, "chapters": page.object_list, "query": query,
        "renewal_days": RENEWAL_SOON_DAYS, "attendance_weeks": ATTENDANCE_WEEKS,
    })


@require_safe
@login_required
def chapter_lights(request, slug):
    """One chapter's traffic-light summary (loaded into the overview row by row)."""
    access = get_chapter_for_user(request, slug)
    if not access.is_admin:
        raise PermissionDenied("Only site admins can do this.")
    chapter = access.chapter
    light = chapter_light(chapter=chapter)
    colours: dict[str, int] = {}
    for member_light in member_lights(chapter=chapter):
        colours[member_light.colour] = colours.get(member_light.colour, 0) + 1
    context = {"chapter": chapter, "light": light, "colours": sorted(colours.items())}
    if request.headers.get("HX-Request"):
        return render(request, "chapters/admin/overview.html#lights", context)
    return render(request, "chapters/admin/lights.html", context)


@login_required
def chapter_create(request):
    _require_admin(request)
    form = ChapterCreateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        chapter = services.chapter_create(by=request.user, fields=form.changes())
        messages.success(
            request, f"{chapter} is open. Next: import its roster or invite its members."
        )
        return redirect("chapter_settings", slug=chapter.slug)
    return render(request, "chapters/admin/chapter_form.html", {"form": form, "creating": True},
                  status=400 if form.errors else 200)


@login_required
def chapter_settings(request, slug):
    """The chapter's schedule, venue, currency, reminders, policies and rule set."""
    access = get_chapter_for_user(request, slug)
    access.require_leader()
    chapter = access.chapter
    # The form works on its own copy: a rejected form must not change the page's chapter.
    form = ChapterSettingsForm(
        request.POST if request.method == "POST" else None,
        instance=Chapter.objects.get(pk=chapter.pk),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.chapter_settings_update(
                chapter=chapter, by=request.user, changes=form.changes()
            )
        except services.NothingToDo as done:
            messages.info(request, str(done))
        else:
            messages.success(request, "The chapter's settings are saved.")
        return redirect("chapter_settings", slug=chapter.slug)
    entries = (
        AuditEntry.objects.for_chapter(chapter)
        .filter(action__in=[AuditEntry.Action.SETTINGS_CHANGED, AuditEntry.Action.CHAPTER_CREATED])
        .with_people()[:10]
    )
    return render(request, "chapters/admin/chapter_form.html", {
        "access": access, "chapter": chapter, "form": form, "creating": False,
        "entries": entries,
    }, status=400 if form.errors else 200)
