from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from members import invitations
from members.access import get_chapter_for_user
from members.forms import InvitationForm, JoinForm
from members.models import Invitation


@login_required
def invitation_list(request, slug):
    access = get_chapter_for_user(request, slug)
    access.require_leader()
    form = InvitationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = invitations.invitation_create(
                chapter=access.chapter, invited_by=request.user, **form.cleaned_data
            )
        except invitations.MembershipError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("invitation_list", slug=access.chapter.slug)
    sent = (
        Invitation.objects.filter(chapter=access.chapter)
        .select_related("classification", "invited_by")
        .order_by("-created_at")[:100]
    )
    return render(
        request,
        "members/invitation_list.html",
        {"access": access, "chapter": access.chapter, "form": form, "invitations": sent},
        status=400 if form.errors else 200,
    )


@require_POST
@login_required
def invitation_revoke(request, slug, invitation_id):
    access = get_chapter_for_user(request, slug)
    access.require_leader()
    invitation = get_object_or_404(Invitation, chapter=access.chapter, pk=invitation_id)
    invitations.invitation_revoke(invitation=invitation)
    messages.success(request, f"The invitation for {invitation.email} was withdrawn.")
    return redirect("invitation_list", slug=access.chapter.slug)


def invitation_accept(request, token):
    invitation = get_object_or_404(
        Invitation.objects.select_related("chapter", "classification"), token=token
    )
    if not invitation.is_usable:
        return render(request, "members/invitation_unusable.html", {"invitation": invitation})
    signed_in = request.user if request.user.is_authenticated else None
    form = (
        JoinForm(request.POST if request.method == "POST" else None, invitation=invitation)
        if signed_in is None
        else None
    )
    if request.method == "POST" and (form is None or form.is_valid()):
        try:
            member = invitations.invitation_accept(
                invitation=invitation,
                user=signed_in,
                password=form.cleaned_data["password1"] if form else "",
            )
        except invitations.MembershipError as error:
            if form is not None:
                form.add_error(None, str(error))
            else:
                messages.error(request, str(error))
        else:
            if signed_in is None:
                login(request, member.user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome to {member.chapter}!")
            return redirect("chapter_home", slug=member.chapter.slug)
    return render(
        request,
        "members/invitation_accept.html",
        {"invitation": invitation, "form": form, "signed_in": signed_in},
        status=400 if form is not None and form.errors else 200,
    )
