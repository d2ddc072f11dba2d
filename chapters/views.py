from django.contrib.auth.decorators import login_required
from django.contrib.messages import get_messages
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_safe

from chapters import freshness
from chapters.access import get_chapter_for_user
from chapters.models import Chapter
from meetings.services import meeting_to_act_on, next_meeting, week_tasks
from referrals import dashboard


@require_safe
@login_required
def home(request):
    """After login: the person's chapter, or a choice when they have several."""
    chapters = list(Chapter.objects.for_user(request.user))
    if len(chapters) == 1 and not request.user.is_staff:
        return redirect("chapter_home", slug=chapters[0].slug)
    if request.user.is_staff:
        chapters = list(Chapter.objects.all())
    return render(request, "chapters/home.html", {"chapters": chapters})


@require_safe
@login_required
def chapter_home(request, slug):
    """The member's dashboard: next meeting, referrals waiting, own numbers, recent activity."""
    access = get_chapter_for_user(request, slug)
    chapter, member = access.chapter, access.member
    context = {"access": access, "chapter": chapter}
    if access.is_leader:
        meeting = meeting_to_act_on(chapter)
        context["this_week"] = week_tasks(meeting) if meeting is not None else None
    if member is None:
        context["meeting"] = next_meeting(chapter)
        return render(request, "chapters/chapter_home.html", context)
    today = timezone.now().astimezone(chapter.zone).date()
    if request.headers.get("HX-Request"):
        # The numbers refresh themselves while the page is open.
        return HttpResponse(freshness.cached(
            f"dashboard-numbers:{member.pk}:{today.isoformat()}",
            [("chapter", chapter.pk), ("member", member.pk), freshness.CATALOG],
            lambda: _numbers(request, context, today),
        ))
    if get_messages(request) or access.is_leader:
        # A message to show once, or a leader's "this week" card (which every member's marks
        # and slips change): this page is for this request alone.
        context, _ = _dashboard_context(context, today)
        return render(request, "chapters/chapter_home.html", context)
    # The whole page is served from the cache until a write changes what it shows
    # (chapters/freshness.py); only the CSRF token is the request's own.
    page = freshness.cached(
        f"dashboard:{member.pk}:{today.isoformat()}",
        [("chapter", chapter.pk), ("member", member.pk), ("user", request.user.pk),
         freshness.CATALOG],
        lambda: _page(request, context, today),
    )
    return HttpResponse(page.replace(CSRF_PLACEHOLDER, get_token(request)))


# Stands in for the CSRF token in a cached page; never a valid token itself.
CSRF_PLACEHOLDER = "csrf-token-of-the-request-" + "0" * 38


def _numbers_context(context, today) -> dict:
    windows = dashboard.my_numbers(context["access"].member, today)
    return context | {"windows": windows, "numbers": dashboard.numbers_table(windows)}


def _dashboard_context(context, today) -> tuple[dict, int]:
    """What the dashboard shows, and how long it may be served as it is."""
    member = context["access"].member
    waiting, waiting_count = dashboard.waiting_for(member)
    meeting = next_meeting(context["chapter"])
    context = _numbers_context(context, today) | {
        "waiting": waiting,
        "waiting_count": waiting_count,
        "activity": dashboard.recent_activity(member),
        "meeting": meeting,
    }
    seconds = freshness.PAGE_SECONDS
    if meeting is not None:
        # Once the meeting shown has ended, the next one is shown instead.
        until_ended = (meeting.ends_at - timezone.now()).total_seconds()
        seconds = max(1, min(seconds, int(until_ended) + 1))
    return context, seconds


def _page(request, context, today) -> tuple[str, int]:
    context, seconds = _dashboard_context(context, today)
    context["csrf_token"] = CSRF_PLACEHOLDER
    return render_to_string("chapters/chapter_home.html", context, request), seconds


def _numbers(request, context, today) -> tuple[str, int]:
    context = _numbers_context(context, today)
    html = render_to_string("chapters/chapter_home.html#numbers", context, request)
    return html, freshness.PAGE_SECONDS
