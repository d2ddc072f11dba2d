"""Pages around the notification emails: a member's choices and calendar feed, one-click
unsubscribe, and the leaders' delivery log with resend."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from meetings import calendar
from members.access import get_chapter_for_user
from members.models import Member
from notifications import outbox as notifications
from notifications.forms import DeliveryFilterForm, PreferencesForm, ResendForm
from notifications.models import Delivery, NotificationKind

LOG_PAGE_SIZE = 50


def _own_member(access) -> Member:
    """The signed-in person's membership of this chapter (staff without one have no emails)."""
    if access.member is None:
        raise Http404
    return access.member


@login_required
def notification_preferences(request, slug):
    access = get_chapter_for_user(request, slug)
    member = _own_member(access)
    offered = notifications.kinds_offered(is_leader=access.is_leader)
    # Unticked boxes send nothing, so an empty POST still means "none of these".
    form = PreferencesForm(
        request.POST if request.method == "POST" else None,
        offered=offered,
        wanted=notifications.kinds_wanted(member),
    )
    if request.method == "POST" and form.is_valid():
        notifications.preferences_set(
            member=member, offered=[kind.value for kind in offered], wanted=form.wanted()
        )
        messages.success(request, "Your email choices are saved.")
        return redirect("notification_preferences", slug=access.chapter.slug)
    member.refresh_from_db(fields=["calendar_token"])
    feed_url = (
        settings.SITE_URL + reverse("calendar_feed", args=[member.calendar_token])
        if member.calendar_token
        else ""
    )
    return render(
        request,
        "notifications/preferences.html",
        {"access": access, "chapter": access.chapter, "form": form, "feed_url": feed_url,
         "calendar_token": member.calendar_token or ""},
        status=400 if form.errors else 200,
    )


@require_POST
@login_required
def calendar_feed_create(request, slug):
    """Create the member's feed URL, or replace the one they saw (`current`)."""
    access = get_chapter_for_user(request, slug)
    member = _own_member(access)
    current = request.POST.get("current", "")
    if current:
        notifications.calendar_feed_reset(member=member, current=current)
        messages.success(request, "Your calendar link is new; the old one no longer works.")
    else:
        notifications.calendar_feed_create(member=member)
        messages.success(request, "Your private calendar link is ready.")
    return redirect("notification_preferences", slug=access.chapter.slug)


@require_POST
@login_required
def calendar_feed_revoke(request, slug):
    access = get_chapter_for_user(request, slug)
    notifications.calendar_feed_revoke(member=_own_member(access))
    messages.success(request, "Your calendar link is switched off.")
    return redirect("notification_preferences", slug=access.chapter.slug)


@require_GET
def calendar_feed(request, token):
    """A member's private feed of their chapter's meetings; the token is the only key."""
    member = (
        Member.objects.select_related("chapter")
        .filter(calendar_token=token, status__in=Member.Status.holding_values())
        .first()
    )
    if member is None:
        raise Http404
    response = HttpResponse(
        calendar.chapter_feed_ics(member.chapter, now=timezone.now()),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = f'inline; filename="{member.chapter.slug}.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response


# One-click unsubscribe (RFC 8058): mail programs POST without a CSRF token; the signed token in
# the URL is what authenticates the request, and all it can do is switch one kind of email off.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def notification_unsubscribe(request, token):
    parsed = notifications.unsubscribe_token_read(token)
    member = None
    if parsed is not None:
        member = Member.objects.select_related("chapter", "user").filter(pk=parsed[0]).first()
    if member is None:
        return render(request, "notifications/unsubscribe_invalid.html", status=404)
    kind = NotificationKind(parsed[1])
    context = {
        "member": member,
        "kind_label": notifications.KIND_PLURALS[kind],
        "preferences_url": reverse("notification_preferences", args=[member.chapter.slug]),
    }
    if request.method == "POST":
        notifications.unsubscribe(member=member, kind=kind)
        return render(request, "notifications/unsubscribe_done.html", context)
    return render(request, "notifications/unsubscribe.html", context)


@require_GET
@login_required
def delivery_log(request, slug):
    """What was sent to whom and what failed, newest first (leadership team)."""
    access = get_chapter_for_user(request, slug)
    access.require_leader()
    form = DeliveryFilterForm(request.GET or None)
    deliveries = Delivery.objects.for_chapter(access.chapter)
    if form.is_valid():
        if form.cleaned_data["kind"]:
            deliveries = deliveries.filter(kind=form.cleaned_data["kind"])
        if form.cleaned_data["q"]:
            words = form.cleaned_data["q"].strip()
            deliveries = deliveries.filter(
                Q(member__user__first_name__icontains=words)
                | Q(member__user__last_name__icontains=words)
                | Q(member__user__email__icontains=words)
                | Q(to_email__icontains=words)
            )
    counts = dict(
        deliveries.order_by().values_list("state").annotate(n=Count("pk")).values_list("state", "n")
    )
    if form.is_valid() and form.cleaned_data["state"]:
        deliveries = deliveries.filter(state=form.cleaned_data["state"])
    page = Paginator(deliveries.with_people(), LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/delivery_log.html",
        {
            "access": access,
            "chapter": access.chapter,
            "form": form,
            "page": page,
            "states": [(state, label, counts.get(state, 0)) for state, label in
                       Delivery.State.choices],
            "here": request.get_full_path(),
        },
        status=400 if form.errors else 200,
    )


@require_POST
@login_required
def delivery_resend(request, slug, delivery_id):
    access = get_chapter_for_user(request, slug)
    access.require_leader()
    delivery = get_object_or_404(
        Delivery.objects.select_related("member__user"), chapter=access.chapter, pk=delivery_id
    )
    form = ResendForm(request.POST)
    to = delivery.member.full_name if delivery.member else delivery.to_email
    if form.is_valid() and notifications.delivery_resend(
        delivery=delivery, seen_resends=form.cleaned_data["resends"], by=request.user
    ):
        messages.success(request, f"The email to {to} is being sent again.")
    else:
        messages.info(request, f"The email to {to} is already being sent again.")
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ) and back.startswith(reverse("delivery_log", args=[access.chapter.slug])):
        return redirect(back)
    return redirect("delivery_log", slug=access.chapter.slug)
