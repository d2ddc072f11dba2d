from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from chapters.models import Chapter
from meetings.services import meeting_to_act_on, next_meeting
from members.access import chapters_for_user, get_chapter_for_user
from reports import dashboard
from reports.weekly import week_tasks


@require_safe
@login_required
def home(request):
    """After login: the person's chapter, or a choice when they have several."""
    chapters = list(chapters_for_user(request.user))
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
        # A leader's "this week" card: the meeting that needs them and its next action.
        meeting = meeting_to_act_on(chapter)
        context["this_week"] = week_tasks(meeting) if meeting is not None else None
    if member is None:
        context["meeting"] = next_meeting(chapter)
        return render(request, "chapters/chapter_home.html", context)
    today = timezone.now().astimezone(chapter.zone).date()
    if request.headers.get("HX-Request"):
        # The numbers alone, refreshed when the page is shown again (static/js/app.js).
        context = _numbers_context(context, today)
        return render(request, "chapters/chapter_home.html#numbers", context)
    return render(request, "chapters/chapter_home.html", _dashboard_context(context, today))


def _numbers_context(context, today) -> dict:
    windows = dashboard.my_numbers(context["access"].member, today)
    return context | {"windows": windows, "numbers": dashboard.numbers_table(windows)}


def _dashboard_context(context, today) -> dict:
    member = context["access"].member
    waiting, waiting_count = dashboard.waiting_for(member)
    return _numbers_context(context, today) | {
        "waiting": waiting,
        "waiting_count": waiting_count,
        "activity": dashboard.recent_activity(member),
        "meeting": next_meeting(context["chapter"]),
    }
