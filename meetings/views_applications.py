"""Recording an application for the Membership Committee: anyone's, or a visitor's handed over
from the meeting's visitor list (prefilled with what the visitor left)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render

from meetings.forms_applications import ApplicationForm
from meetings.models import Visitor
from members import membership
from members.access import get_chapter_for_user
from members.invitations import MembershipError
from members.models import Role


@login_required
def application_create(request, slug):
    """Record an application (a visitor's, or anyone's) for the committee."""
    access = get_chapter_for_user(request, slug)
    access.require_role(Role.MEMBERSHIP_COMMITTEE, Role.VISITOR_HOST)
    initial = {}
    visitor_id = request.GET.get("visitor", "")
    if request.method != "POST" and visitor_id.isascii() and visitor_id.isdigit():
        visitor = get_object_or_404(
            Visitor.objects.for_chapter(access.chapter).select_related("meeting"),
            pk=int(visitor_id),
        )
        initial = ApplicationForm.initial_from_visitor(visitor)
    form = ApplicationForm(
        request.POST if request.method == "POST" else None, chapter=access.chapter,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            application, created = membership.application_create(
                chapter=access.chapter, by=request.user, **form.cleaned_data
            )
        except MembershipError as error:
            form.add_error(None, str(error))
        else:
            if created:
                messages.success(request, f"{application.full_name}'s application is recorded.")
            return redirect(
                "application_detail", slug=access.chapter.slug, application_id=application.pk
            )
    return render(request, "membership/application_form.html", {
        "access": access, "chapter": access.chapter, "form": form,
    }, status=400 if form.errors else 200)
