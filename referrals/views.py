"""The pages where members log slips and follow their referrals.

Every page starts from `get_chapter_for_user` (outsiders get 404) and then looks objects up
through the signed-in member: a slip of another chapter, or one the member is not on, is a 404.
"""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from chapters.search import search_text
from meetings.models import Meeting
from members.access import ChapterAccess, get_chapter_for_user
from members.models import Member
from referrals import directory, forms, services
from referrals.models import OneToOne, Referral, SlipCorrection, ThankYou
from referrals.slips import KINDS, SlipKind, recent_slips, week_slips

require_GET_or_POST = require_http_methods(["GET", "HEAD", "POST"])

PAGE_SIZE = 25
WEEKS_TO_CORRECT = 26
# The member field of each slip form that may name a member found by the search.
PICKER_FIELDS = {
    "referral": "receiver",
    "thank-you": "credited_to",
    "one-to-one": "met_with",
    "testimonial": "about",
}
CROSS_CHAPTER_KINDS = {"referral", "thank-you", "one-to-one"}


def _member(request, slug) -> tuple[ChapterAccess, Member]:
    """The chapter and the signed-in person's membership of it (site admins have none)."""
    access = get_chapter_for_user(request, slug)
    if access.member is None:
        raise PermissionDenied("Only members of the chapter have slips.")
    return access, access.member


def _author(request, slug) -> tuple[ChapterAccess, Member]:
    """As `_member`, for logging a slip: suspended members cannot."""
    access, member = _member(request, slug)
    if not member.holds_classification:
        raise PermissionDenied("Your membership is suspended: you cannot log slips.")
    return access, member


def _kind(kind: str) -> SlipKind:
    if kind not in KINDS:
        raise Http404
    return KINDS[kind]


def _page(request, template: str, access: ChapterAccess, *, status: int = 200, **context):
    context = {"access": access, "chapter": access.chapter, **context}
    return render(request, template, context, status=status)


def _paginate(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _form_page(request, access, form, *, kind: SlipKind, heading: str, intro: str = "",
               **context):
    return _page(
        request,
        "referrals/slip_form.html",
        access,
        status=400 if form.errors else 200,
        form=form,
        kind=kind,
        heading=heading,
        intro=intro,
        picker_fields=[name for name in PICKER_FIELDS.values() if name in form.fields],
        other_chapters=kind.slug in CROSS_CHAPTER_KINDS,
        counts_for=None if kind.slug == "visitor" else _counts_for(access),
        **context,
    )


def _counts_for(access: ChapterAccess) -> Meeting | None:
    """The meeting a slip saved now counts for, to say so on the form."""
    try:
        return services.meeting_for_slip(access.chapter)
    except Meeting.DoesNotExist:
        return None


def _log(request, access, form, *, kind: SlipKind, log, heading: str, intro: str = "",
         **context):
    """Validate a new slip and log it once; a resubmitted form lands on the same confirmation."""
    if request.method == "POST" and form.is_valid():
        try:
            slip, _created = log(dict(form.cleaned_data))
        except services.SlipError as error:
            form.add_error(None, str(error))
        else:
            return redirect("slip_saved", access.chapter.slug, kind.slug, slip.pk)
    return _form_page(request, access, form, kind=kind, heading=heading, intro=intro, **context)


def _posted(request):
    """The submitted data, bound even when empty (an empty POST is a form with errors)."""
    return request.POST if request.method == "POST" else None


def _preselected(request, field: str) -> dict:
    value = request.GET.get(field, "")
    return {field: value} if forms.is_id(value) else {}


# My slips and logging them --------------------------------------------------------------------


@require_safe
@login_required
def slip_hub(request, slug):
    """My slips: a button for each kind of slip, and the latest ones with their state."""
    access, member = _member(request, slug)
    return _page(
        request, "referrals/slip_hub.html", access, items=recent_slips(member), kinds=KINDS
    )


@require_GET_or_POST
@login_required
def referral_new(request, slug):
    access, member = _author(request, slug)
    form = forms.ReferralForm(
        _posted(request), author=member, initial=_preselected(request, "receiver")
    )
    return _log(
        request, access, form, kind=KINDS["referral"], heading="Log a referral",
        log=lambda data: services.referral_log(giver=member, **data),
    )


@require_GET_or_POST
@login_required
def thank_you_new(request, slug):
    access, member = _author(request, slug)
    referral = None
    if forms.is_id(referral_id := request.GET.get("referral", "")):
        referral = get_object_or_404(
            Referral.objects.received_by(member).with_people(), pk=referral_id
        )
    form = forms.ThankYouForm(
        _posted(request),
        author=member,
        referral=referral,
        initial=_preselected(request, "credited_to"),
    )

    def log(data):
        credited_to = data.pop("credited_to", None) or referral.giver
        return services.thank_you_log(
            thanked_by=member, credited_to=credited_to, referral=referral, **data
        )

    return _log(
        request, access, form, kind=KINDS["thank-you"], log=log,
        heading="Thank for closed business (TYFCB)", referral=referral,
        intro=f"For the referral from {referral.giver.full_name}." if referral else "",
    )


@require_GET_or_POST
@login_required
def one_to_one_new(request, slug):
    access, member = _author(request, slug)
    form = forms.OneToOneForm(
        _posted(request), author=member, initial=_preselected(request, "met_with")
    )
    return _log(
        request, access, form, kind=KINDS["one-to-one"], heading="Log a one-to-one",
        intro="Both of you will see it.",
        log=lambda data: services.one_to_one_log(member=member, **data),
    )


@require_GET_or_POST
@login_required
def ceu_new(request, slug):
    access, member = _author(request, slug)
    form = forms.CEUForm(_posted(request), author=member)
    return _log(
        request, access, form, kind=KINDS["ceu"], heading="Log a CEU",
        log=lambda data: services.ceu_log(member=member, **data),
    )


@require_GET_or_POST
@login_required
def testimonial_new(request, slug):
    access, member = _author(request, slug)
    form = forms.TestimonialForm(
        _posted(request), author=member, initial=_preselected(request, "about")
    )
    return _log(
        request, access, form, kind=KINDS["testimonial"], heading="Log a testimonial",
        log=lambda data: services.testimonial_log(giver=member, **data),
    )


@require_GET_or_POST
@login_required
def visitor_new(request, slug):
    access, member = _author(request, slug)
    form = forms.VisitorForm(_posted(request), author=member)
    return _log(
        request, access, form, kind=KINDS["visitor"], heading="Register a visitor",
        intro="Someone you are bringing to a coming meeting. The Visitor Host will follow up.",
        log=lambda data: services.visitor_register(member=member, **data),
    )


@require_safe
@login_required
def slip_saved(request, slug, kind, slip_id):
    """The confirmation after logging a slip (also what a resubmitted form lands on)."""
    access, member = _member(request, slug)
    kind = _kind(kind)
    slip = get_object_or_404(kind.authored_by(member), pk=slip_id)
    return _page(
        request, "referrals/slip_saved.html", access, kind=kind, slip=slip,
        summary=kind.describe(slip),
    )


# Editing and deleting one's own slips ---------------------------------------------------------


@require_GET_or_POST
@login_required
def slip_edit(request, slug, kind, slip_id):
    access, member = _member(request, slug)
    kind = _kind(kind)
    slip = get_object_or_404(kind.authored_by(member), pk=slip_id)
    locked = services.slip_is_locked(slip)
    form = kind.edit_form(
        None if locked else _posted(request),
        chapter=access.chapter,
        initial=kind.initial(slip),
    )
    if request.method == "POST" and not locked and form.is_valid():
        try:
            services.slip_update(slip=slip, by=member, changes=form.cleaned_data)
        except services.SlipError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"{kind.label} updated.")
            return redirect("slip_hub", access.chapter.slug)
    return _page(
        request,
        "referrals/slip_edit.html",
        access,
        status=400 if form.errors else 200,
        kind=kind,
        slip=slip,
        summary=kind.describe(slip),
        form=form,
        locked=locked,
    )


@require_POST
@login_required
def slip_delete(request, slug, kind, slip_id):
    access, member = _member(request, slug)
    kind = _kind(kind)
    slip = get_object_or_404(kind.authored_by(member), pk=slip_id)
    try:
        services.slip_delete(slip=slip, by=member)
    except services.SlipError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{kind.label} deleted.")
    return redirect("slip_hub", access.chapter.slug)


# Leaders' corrections ---------------------------------------------------------------------------


@require_GET_or_POST
@login_required
def slip_correct(request, slug, kind, slip_id):
    """A leader corrects or removes a slip of the chapter; the change is recorded."""
    access = get_chapter_for_user(request, slug)
    kind = _kind(kind)
    # Look the slip up before checking the role, so a slip of another chapter is a 404 to all.
    slip = get_object_or_404(kind.queryset().filter(meeting__chapter=access.chapter), pk=slip_id)
    access.require_leader()
    data = _posted(request)
    removing = request.POST.get("action") == "delete"
    # A refused removal shows the fields as they were typed, not as the slip has them.
    typed = data.dict() if removing and data is not None else {}
    form = kind.edit_form(
        data if not removing else None, chapter=access.chapter,
        initial={**kind.initial(slip), **typed},
    )
    reason_form = forms.CorrectionReasonForm(data)
    if data is not None and reason_form.is_valid() and (removing or form.is_valid()):
        reason = reason_form.cleaned_data["reason"]
        try:
            if removing:
                services.slip_correction_delete(
                    slip=slip, slip_type=kind.slug, by=request.user, reason=reason,
                    fields=list(kind.kept),
                )
            else:
                services.slip_correct(
                    slip=slip, slip_type=kind.slug, by=request.user, reason=reason,
                    changes=form.cleaned_data,
                )
        except services.SlipError as error:
            reason_form.add_error(None, str(error))
        else:
            messages.success(request, f"{kind.label} corrected; the change is recorded.")
            return redirect("slip_corrections", access.chapter.slug)
    return _page(
        request,
        "referrals/slip_correct.html",
        access,
        status=400 if (form.errors or reason_form.errors) else 200,
        kind=kind,
        slip=slip,
        author=getattr(slip, kind.author),
        summary=kind.describe(slip),
        locked=services.slip_is_locked(slip),
        form=form,
        reason_form=reason_form,
        history=SlipCorrection.objects.filter(slip_type=kind.slug, slip_id=slip.pk)
        .select_related("changed_by"),
    )


@require_safe
@login_required
def slip_corrections(request, slug):
    """A week's slips to correct, and the record of corrections: who, when, what, why."""
    access = get_chapter_for_user(request, slug)
    access.require_leader()
    chapter = access.chapter
    weeks = list(
        Meeting.objects.for_chapter(chapter)
        .counted()
        .filter(local_date__lte=chapter.today() + datetime.timedelta(days=7))
        .order_by("-local_date")[:WEEKS_TO_CORRECT]
    )
    week = None
    if forms.is_id(meeting_id := request.GET.get("meeting", "")):
        week = get_object_or_404(Meeting.objects.for_chapter(chapter), pk=meeting_id)
    corrections = (
        SlipCorrection.objects.filter(meeting__chapter=chapter)
        .select_related("changed_by", "meeting")
        .order_by("-changed_at")
    )
    return _page(
        request,
        "referrals/corrections.html",
        access,
        weeks=weeks,
        week=week,
        items=week_slips(week) if week else [],
        page=_paginate(request, corrections),
    )


# The referral pipeline -------------------------------------------------------------------------


@require_safe
@login_required
def referral_inbox(request, slug):
    """Referrals I received: the open ones wait for my action."""
    access, member = _member(request, slug)
    show_all = request.GET.get("show") == "all"
    referrals = Referral.objects.received_by(member).with_people()
    if not show_all:
        referrals = referrals.open()
    return _page(
        request, "referrals/referral_inbox.html", access, show_all=show_all,
        page=_paginate(request, referrals.order_by("-created_at")),
    )


@require_safe
@login_required
def referral_given(request, slug):
    """Referrals I gave and what became of them."""
    access, member = _member(request, slug)
    referrals = (
        Referral.objects.given_by(member)
        .with_people()
        .annotate(tyfcb=Sum("thank_yous__amount"))
        .order_by("-created_at")
    )
    return _page(
        request, "referrals/referral_given.html", access, page=_paginate(request, referrals)
    )


def _referral_for(member: Member, referral_id: int) -> Referral:
    return get_object_or_404(Referral.objects.involving(member).with_people(), pk=referral_id)


def _referral_page(request, access, member, referral, status_form=None):
    thank_yous = referral.thank_yous.select_related("meeting__chapter").order_by("created_at")
    is_receiver = referral.receiver_id == member.pk
    if status_form is None and is_receiver and referral.is_open:
        status_form = forms.ReferralStatusForm(referral=referral)
    return _page(
        request,
        "referrals/referral_detail.html",
        access,
        status=400 if status_form is not None and status_form.errors else 200,
        referral=referral,
        is_giver=referral.giver_id == member.pk,
        is_receiver=is_receiver,
        status_form=status_form,
        thank_yous=thank_yous,
        saved=request.GET.get("saved") == "1",
    )


@require_safe
@login_required
def referral_detail(request, slug, referral_id):
    access, member = _member(request, slug)
    referral = _referral_for(member, referral_id)
    return _referral_page(request, access, member, referral)


@require_POST
@login_required
def referral_status(request, slug, referral_id):
    """The receiver moves the referral along; a repeated click changes nothing more."""
    access, member = _member(request, slug)
    referral = _referral_for(member, referral_id)
    if referral.receiver_id != member.pk:
        raise PermissionDenied("Only the member who received the referral can update it.")
    if not referral.is_open:
        if request.POST.get("status") != referral.status:
            messages.error(request, "This referral is already closed.")
        return redirect("referral_detail", access.chapter.slug, referral.pk)
    form = forms.ReferralStatusForm(request.POST, referral=referral)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.referral_status_change(
                referral=referral,
                by=member,
                status=data["status"],
                reason=data.get("reason", ""),
                amount=data.get("amount"),
                business_type=data.get("business_type") or ThankYou.BusinessType.NEW,
            )
        except services.SlipError as error:
            form.add_error(None, str(error))
        else:
            label = Referral.Status(data["status"]).label.lower()
            messages.success(request, f"Marked {label}. {referral.giver.full_name} will be told.")
            return redirect("referral_detail", access.chapter.slug, referral.pk)
    return _referral_page(request, access, member, referral, status_form=form)


@require_safe
@login_required
def thank_you_list(request, slug):
    """Thank-yous for closed business I gave and received."""
    access, member = _member(request, slug)
    thank_yous = ThankYou.objects.involving(member).with_people().order_by("-created_at")
    totals = ThankYou.objects.filter(credited_to=member).aggregate(total=Sum("amount"))
    return _page(
        request, "referrals/thank_you_list.html", access, page=_paginate(request, thank_yous),
        received_total=totals["total"] or 0, member=member,
    )


@require_safe
@login_required
def one_to_one_list(request, slug):
    """One-to-ones I logged and ones others logged with me."""
    access, member = _member(request, slug)
    one_to_ones = OneToOne.objects.involving(member).with_people().order_by("-met_on", "-pk")
    return _page(
        request, "referrals/one_to_one_list.html", access, member=member,
        page=_paginate(request, one_to_ones),
    )


# Finding the member a slip is for ---------------------------------------------------------------


@require_safe
@login_required
def member_search(request, slug):
    """Live search for the slip forms (an HTMX partial), or a page of its own without JS."""
    access, member = _author(request, slug)
    query = search_text(request)
    purpose = request.GET.get("for", "referral")
    if purpose not in PICKER_FIELDS:
        purpose = "referral"
    scope = request.GET.get("scope", "mine")
    if scope != "other" or purpose not in CROSS_CHAPTER_KINDS:
        scope = "mine"
    if scope == "other":
        results = directory.search_other_chapters(chapter=access.chapter, query=query)
    elif query:
        results = directory.search_own_chapter(
            chapter=access.chapter, exclude=member, query=query
        )
    else:
        results = []
    context = {
        "query": query,
        "scope": scope,
        "purpose": purpose,
        "results": results,
        "too_short": scope == "other"
        and len(query) < directory.MIN_OTHER_CHAPTER_QUERY,
        "field": PICKER_FIELDS[purpose],
        "form_url": reverse(KINDS[purpose].new_url, args=[access.chapter.slug]),
        "cross_chapter": purpose in CROSS_CHAPTER_KINDS,
    }
    if request.headers.get("HX-Request"):
        return _page(request, "referrals/member_search.html#results", access, **context)
    return _page(request, "referrals/member_search.html", access, links=True, **context)
