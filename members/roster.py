"""The chapter roster and member profiles, seen by the chapter's own members only.

Members see each other's business, classification, contact details and what they want to be
referred; each member edits their own profile. Nothing here reaches another chapter.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from chapters.htmx import render_page_or_part
from chapters.search import matching_every_word, search_text
from members.access import get_chapter_for_user
from members.models import Member

PROFILE_FIELDS = ["business_name", "phone", "website", "ideal_referral", "target_market"]


def roster_members(chapter, query: str = ""):
    """Members holding a classification in the chapter, matching every word of the query."""
    members = Member.objects.current().for_chapter(chapter).with_people()
    members = matching_every_word(
        members, query, (*Member.NAMED_BY, "ideal_referral", "target_market")
    )
    return members.order_by("user__first_name", "user__last_name", "pk")


class ProfileForm(forms.Form):
    business_name = forms.CharField(label="Business name", max_length=200)
    phone = forms.CharField(
        label="Phone", max_length=40, required=False, widget=forms.TextInput(attrs={"type": "tel"})
    )
    website = forms.URLField(label="Website", required=False, assume_scheme="https")
    ideal_referral = forms.CharField(
        label="My ideal referral", required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Who you want to be introduced to, as precisely as you can.",
    )
    target_market = forms.CharField(
        label="My target market", required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The customers you serve best.",
    )


def profile_update(*, member: Member, changes: dict) -> Member:
    """A member updates their own profile."""
    changed = [name for name in PROFILE_FIELDS if getattr(member, name) != changes[name]]
    with transaction.atomic():
        for name in changed:
            setattr(member, name, changes[name])
        if changed:
            member.save(update_fields=changed)
    return member


@require_safe
@login_required
def roster(request, slug):
    access = get_chapter_for_user(request, slug)
    query = search_text(request)
    context = {
        "access": access,
        "chapter": access.chapter,
        "query": query,
        "members": roster_members(access.chapter, query),
    }
    return render_page_or_part(request, "members/roster/roster.html", "results", context)


@require_safe
@login_required
def member_profile(request, slug, member_id):
    access = get_chapter_for_user(request, slug)
    person = get_object_or_404(roster_members(access.chapter), pk=member_id)
    return render(
        request,
        "members/roster/profile.html",
        {
            "access": access,
            "chapter": access.chapter,
            "person": person,
            "is_me": access.member is not None and access.member.pk == person.pk,
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def profile_edit(request, slug):
    access = get_chapter_for_user(request, slug)
    member = access.member
    if member is None:
        raise PermissionDenied("Only members of the chapter have a profile here.")
    form = ProfileForm(
        request.POST if request.method == "POST" else None,
        initial={name: getattr(member, name) for name in PROFILE_FIELDS},
    )
    if request.method == "POST" and form.is_valid():
        profile_update(member=member, changes=form.cleaned_data)
        messages.success(request, "Your profile is saved.")
        return redirect("member_profile", access.chapter.slug, member.pk)
    return render(
        request,
        "members/roster/profile_edit.html",
        {"access": access, "chapter": access.chapter, "form": form, "person": member},
        status=400 if form.errors else 200,
    )
