from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from chapters.access import get_chapter_for_user
from chapters.models import Chapter
from meetings.services import next_meeting


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
    access = get_chapter_for_user(request, slug)
    return render(
        request,
        "chapters/chapter_home.html",
        {
            "access": access,
            "chapter": access.chapter,
            "meeting": next_meeting(access.chapter),
        },
    )
