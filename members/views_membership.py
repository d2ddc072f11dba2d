"""Membership management pages: applications, members' lifecycle, leadership roles, the roster
import and export and the audit trail.

Who may do what follows roles (members/access.py): the leadership team (President, Vice
President, Secretary/Treasurer) and admins manage members, roles and imports; the Membership
Committee decides applications; the Visitor Host records them; admins alone transfer members
between chapters and anonymise former members. Outsiders get 404 everywhere.
"""

import datetime
import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from chapters.downloads import attachment
from chapters.htmx import render_page_or_part
from chapters.search import matching_every_word, search_text
from members import membership, roster_import
from members.access import ChapterAccess, get_chapter_for_user
from members.forms_membership import (
    ActionForm,
    AnonymiseForm,
    ApproveForm,
    AuditFilterForm,
    DeclineForm,
    LeaveForm,
    ReasonForm,
    ReclassifyForm,
    RenewForm,
    RoleAssignForm,
    RosterUploadForm,
    TransferForm,
)
from members.invitations import MembershipError
from members.models import (
    Application,
    AuditEntry,
    LeadershipRole,
    LeaveOfAbsence,
    Member,
    MembershipTransfer,
    Role,
    RosterImport,
)

RENEWAL_SOON_DAYS = 60
PAGE_SIZE = 50


# --- Access -------------------------------------------------------------------------------


def _leader(request, slug) -> ChapterAccess:
    access = get_chapter_for_user(request, slug)
    access.require_leader()
    return access


def _committee(request, slug) -> ChapterAccess:
    """The Membership Committee (and the leadership team) decide applications."""
    access = get_chapter_for_user(request, slug)
    access.require_role(Role.MEMBERSHIP_COMMITTEE)
    return access


def _applications_desk(request, slug) -> ChapterAccess:
    """Who sees and records applications: the committee and the Visitor Host too."""
    access = get_chapter_for_user(request, slug)
    access.require_role(Role.MEMBERSHIP_COMMITTEE, Role.VISITOR_HOST)
    return access


def _admin(request, slug) -> ChapterAccess:
    access = get_chapter_for_user(request, slug)
    if not access.is_admin:
        raise PermissionDenied("Only site admins can do this.")
    return access


def _chapter_member(access: ChapterAccess, member_id: int) -> Member:
    return get_object_or_404(Member.objects.with_people(), chapter=access.chapter, pk=member_id)


def _chapter_application(access: ChapterAccess, application_id: int) -> Application:
    return get_object_or_404(
        Application.objects.with_conflicts().select_related(
            "classification__industry", "sponsor__user", "decided_by", "invitation",
            "created_by", "visitor__meeting", "member",
        ),
        chapter=access.chapter,
        pk=application_id,
    )


def _bound(form_class, request, **kwargs):
    return form_class(request.POST if request.method == "POST" else None, **kwargs)


# --- Members and their lifecycle --------------------------------------------------------------

STATUS_FILTERS = {
    "current": ("Current members", Member.Status.current_values()),
    "former": ("Former members", [Member.Status.DROPPED, Member.Status.EXPIRED]),
    "all": ("Everyone", None),
}


@require_safe
@login_required
def membership_list(request, slug):
    """Every member with status, renewal date and roles; leaders act from here."""
    access = _leader(request, slug)
    chapter = access.chapter
    shown = request.GET.get("show", "current")
    if shown not in STATUS_FILTERS:
        shown = "current"
    today = chapter.today()
    members = (
        Member.objects.for_chapter(chapter)
        .select_related("user", "classification")
        .prefetch_related(
            Prefetch(
                "roles",
                queryset=LeadershipRole.objects.current(today).order_by("role"),
                to_attr="current_roles",
            )
        )
        .order_by("user__first_name", "user__last_name", "pk")
    )
    statuses = STATUS_FILTERS[shown][1]
    if statuses is not None:
        members = members.filter(status__in=statuses)
    query = search_text(request)
    members = matching_every_word(members, query, Member.NAMED_BY)
    page = Paginator(members, 100).get_page(request.GET.get("page"))
    soon = today + datetime.timedelta(days=RENEWAL_SOON_DAYS)
    return render(request, "membership/member_list.html", {
        "access": access, "chapter": chapter, "page": page, "members": page.object_list,
        "shown": shown, "filters": STATUS_FILTERS, "query": query, "today": today,
        "renewal_soon": soon,
    })


def _detail_forms(access: ChapterAccess, member: Member, data=None) -> dict:
    """The forms of the member's page, each posting to its action (bound to `data` if given)."""
    return {
        "renew_form": RenewForm(data, initial={"expected_due_on": member.renewal_due_on}),
        "leave_form": LeaveForm(data, initial={"starts_on": access.chapter.today()}),
        "leave_end_form": ActionForm(data),
        "suspend_form": ReasonForm(data, prefix="suspend"),
        "drop_form": ReasonForm(data, prefix="drop"),
        "reinstate_form": ActionForm(data),
        "transfer_form": TransferForm(data, chapter=access.chapter),
        "anonymise_form": AnonymiseForm(data),
    }


def _render_detail(request, access, member, *, forms=None, error="", status=200):
    chapter = access.chapter
    context = {
        "access": access,
        "chapter": chapter,
        "person": member,
        "today": chapter.today(),
        "leaves": LeaveOfAbsence.objects.filter(member=member)[:20],
        "open_leave": LeaveOfAbsence.objects.filter(member=member).open().first(),
        "roles": LeadershipRole.objects.filter(member=member).order_by("-starts_on")[:20],
        "transfer_out": MembershipTransfer.objects.filter(from_member=member)
        .select_related("to_member__chapter")
        .first(),
        "transfer_in": MembershipTransfer.objects.filter(to_member=member)
        .select_related("from_member__chapter")
        .first(),
        "entries": AuditEntry.objects.for_member(member).with_people()[:50],
        "error": error,
        "anonymised": membership.is_anonymised(member.user),
        # Nobody changes their own membership but to resign (members/membership.py).
        "own": member.user_id == request.user.pk,
        **_detail_forms(access, member),
        **(forms or {}),
    }
    return render(request, "membership/member_detail.html", context, status=status)


@require_safe
@login_required
def membership_detail(request, slug, member_id):
    access = _leader(request, slug)
    return _render_detail(request, access, _chapter_member(access, member_id))


def _carry_out(request, form, act) -> bool:
    """Run `act(data)` for a valid form and tell the person how it went. False when the form or
    the service refused: the reason is on the form, to show with what was typed."""
    if not form.is_valid():
        return False
    try:
        message = act(form.cleaned_data)
    except membership.NothingToDo as done:
        messages.info(request, str(done))
    except MembershipError as error:
        form.add_error(None, str(error))
        return False
    else:
        messages.success(request, message)
    return True


def _member_action(form_name: str, *, allowed=_leader):
    """A view for one action on a member's page: `act(request, member, data)` runs the service
    and returns the message to show. A refusal shows the page again with the reason and what
    was typed; an action that changes nothing says so."""

    def decorate(act):
        @require_POST
        @login_required
        @functools.wraps(act)
        def view(request, slug, member_id):
            access = allowed(request, slug)
            member = _chapter_member(access, member_id)
            form = _detail_forms(access, member, request.POST)[form_name]
            if _carry_out(request, form, lambda data: act(request, member, data)):
                return redirect("membership_detail", access.chapter.slug, member.pk)
            return _render_detail(
                request, access, member, forms={form_name: form},
                error="; ".join(form.non_field_errors()) or "Check the form below.", status=400,
            )

        return view

    return decorate


@_member_action("renew_form")
def membership_renew(request, member, data):
    renewed = membership.membership_renew(
        member=member, by=request.user, expected_due_on=data["expected_due_on"]
    )
    return f"{renewed.full_name} is renewed until {renewed.renewal_due_on:%d %b %Y}."


@_member_action("leave_form")
def membership_leave(request, member, data):
    leave = membership.leave_start(member=member, by=request.user, **data)
    if leave.began_at:
        return f"{member.full_name} is on leave until {leave.ends_on:%d %b %Y}."
    return (f"Leave arranged for {member.full_name} from {leave.starts_on:%d %b %Y} "
            f"to {leave.ends_on:%d %b %Y}.")


@_member_action("leave_end_form")
def membership_leave_end(request, member, data):
    membership.leave_end(member=member, by=request.user)
    return f"{member.full_name}'s leave is over."


@_member_action("suspend_form")
def membership_suspend(request, member, data):
    membership.membership_suspend(member=member, by=request.user, reason=data["reason"])
    return f"{member.full_name} is suspended; {member.classification} is free."


@_member_action("drop_form")
def membership_drop(request, member, data):
    membership.membership_drop(member=member, by=request.user, reason=data["reason"])
    return f"{member.full_name} is dropped; {member.classification} is free."


@_member_action("reinstate_form")
def membership_reinstate(request, member, data):
    membership.membership_reinstate(member=member, by=request.user)
    return f"{member.full_name} is active again."


@_member_action("transfer_form", allowed=_admin)
def membership_transfer(request, member, data):
    moved = membership.membership_transfer(
        member=member, to_chapter=data["to_chapter"], by=request.user,
        classification=data["classification"],
    )
    return f"{member.full_name} moved to {moved.chapter} as {moved.classification}."


@_member_action("anonymise_form", allowed=_admin)
def membership_anonymise(request, member, data):
    membership.member_anonymise(member=member, by=request.user)
    return "The former member's personal data is erased; the chapter's numbers are kept."


# --- Leadership roles ---------------------------------------------------------------------------


@login_required
def role_list(request, slug):
    """The leadership team: current and coming terms, past ones, and assigning a term."""
    access = _leader(request, slug)
    chapter = access.chapter
    form = _bound(RoleAssignForm, request, chapter=chapter)

    def assign(data):
        term = membership.role_assign(by=request.user, **data)
        return (f"{term.member.full_name} is {term.get_role_display()} from "
                f"{term.starts_on:%d %b %Y}.")

    if request.method == "POST" and _carry_out(request, form, assign):
        return redirect("role_list", slug=chapter.slug)
    today = chapter.today()
    terms = LeadershipRole.objects.filter(member__chapter=chapter).select_related(
        "member__user"
    )
    current = terms.filter(starts_on__lte=today).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=today)
    )
    return render(request, "membership/role_list.html", {
        "access": access,
        "chapter": chapter,
        "form": form,
        "current": current.order_by("role", "starts_on"),
        "upcoming": terms.filter(starts_on__gt=today).order_by("starts_on", "role"),
        "past": terms.filter(ends_on__lt=today).order_by("-ends_on", "role")[:50],
    }, status=400 if form.errors else 200)


@require_POST
@login_required
def role_end(request, slug, role_id):
    access = _leader(request, slug)
    term = get_object_or_404(
        LeadershipRole.objects.select_related("member__user"),
        member__chapter=access.chapter, pk=role_id,
    )
    try:
        membership.role_end(term=term, by=request.user)
    except membership.NothingToDo as done:
        messages.info(request, str(done))
    else:
        messages.success(
            request, f"{term.member.full_name}'s {term.get_role_display()} term is ended."
        )
    return redirect("role_list", slug=access.chapter.slug)


# --- Applications ----------------------------------------------------------------------------

APPLICATION_FILTERS = {
    "open": ("Waiting or approved", [Application.Status.PENDING, Application.Status.APPROVED]),
    "decided": ("Decided", [Application.Status.DECLINED, Application.Status.LAPSED,
                            Application.Status.JOINED]),
    "all": ("All", None),
}


@require_safe
@login_required
def application_list(request, slug):
    access = _applications_desk(request, slug)
    shown = request.GET.get("show", "open")
    if shown not in APPLICATION_FILTERS:
        shown = "open"
    applications = (
        Application.objects.for_chapter(access.chapter)
        .with_conflicts()
        .select_related("classification", "sponsor__user", "invitation")
        .order_by("-created_at", "-pk")
    )
    statuses = APPLICATION_FILTERS[shown][1]
    if statuses is not None:
        applications = applications.filter(status__in=statuses)
    page = Paginator(applications, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "membership/application_list.html", {
        "access": access, "chapter": access.chapter, "page": page,
        "applications": page.object_list, "shown": shown, "filters": APPLICATION_FILTERS,
        "can_decide": access.has_role(Role.MEMBERSHIP_COMMITTEE),
    })


def _render_application(request, access, application, *, forms=None, status=200):
    context = {
        "access": access,
        "chapter": access.chapter,
        "application": application,
        "can_decide": access.has_role(Role.MEMBERSHIP_COMMITTEE),
        "approve_form": ApproveForm(prefix="approve"),
        "decline_form": DeclineForm(prefix="decline"),
        "reclassify_form": ReclassifyForm(prefix="reclassify"),
        "entries": AuditEntry.objects.filter(application=application).with_people()[:20],
        **(forms or {}),
    }
    return render(request, "membership/application_detail.html", context, status=status)


@require_safe
@login_required
def application_detail(request, slug, application_id):
    access = _applications_desk(request, slug)
    return _render_application(request, access, _chapter_application(access, application_id))


def _decide(request, slug, application_id, *, form_class, prefix, run):
    access = _committee(request, slug)
    application = _chapter_application(access, application_id)
    form = form_class(request.POST, prefix=prefix)
    if _carry_out(request, form, lambda data: run(application, data)):
        return redirect(
            "application_detail", slug=access.chapter.slug, application_id=application.pk
        )
    return _render_application(
        request, access, application, forms={f"{prefix}_form": form}, status=400
    )


@require_POST
@login_required
def application_approve(request, slug, application_id):
    def run(application, data):
        approved = membership.application_approve(
            application=application, by=request.user, reason=data["reason"]
        )
        return (f"Approved: {approved.full_name} is invited to join (the invitation works "
                f"until {approved.chapter.local(approved.invitation.expires_at):%d %b %Y}).")

    return _decide(request, slug, application_id, form_class=ApproveForm, prefix="approve",
                   run=run)


@require_POST
@login_required
def application_decline(request, slug, application_id):
    def run(application, data):
        membership.application_decline(
            application=application, by=request.user, reason=data["reason"]
        )
        return f"{application.full_name}'s application is declined."

    return _decide(request, slug, application_id, form_class=DeclineForm, prefix="decline",
                   run=run)


@require_POST
@login_required
def application_reclassify(request, slug, application_id):
    def run(application, data):
        changed = membership.application_change_classification(
            application=application, classification=data["classification"], by=request.user
        )
        return f"The application is now for {changed.classification}."

    return _decide(request, slug, application_id, form_class=ReclassifyForm,
                   prefix="reclassify", run=run)


# --- The audit trail -----------------------------------------------------------------------------


@require_safe
@login_required
def audit_list(request, slug):
    """Every membership, role and settings change in the chapter, newest first."""
    access = _leader(request, slug)
    form = AuditFilterForm(request.GET or None, chapter=access.chapter)
    entries = AuditEntry.objects.for_chapter(access.chapter).with_people()
    if form.is_valid():
        if form.cleaned_data["member"]:
            entries = entries.for_member(form.cleaned_data["member"])
        if form.cleaned_data["action"]:
            entries = entries.filter(action=form.cleaned_data["action"])
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "membership/audit_list.html", {
        "access": access, "chapter": access.chapter, "form": form, "page": page,
        "entries": page.object_list,
    })


# --- Roster import and export ----------------------------------------------------------------


@login_required
def roster_import_upload(request, slug):
    access = _leader(request, slug)
    form = RosterUploadForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > roster_import.MAX_BYTES:
            form.add_error("file", "The file is larger than 5 MB: split it into smaller files.")
        else:
            try:
                batch = roster_import.roster_upload(
                    chapter=access.chapter, by=request.user, filename=upload.name,
                    data=upload.read(), send_emails=form.cleaned_data["send_emails"],
                )
            except roster_import.RosterFileError as error:
                form.add_error("file", str(error))
            else:
                return redirect("roster_import_preview", slug=access.chapter.slug,
                                batch_id=batch.pk)
    recent = RosterImport.objects.filter(chapter=access.chapter).select_related(
        "created_by"
    ).defer("rows", "results")[:10]
    return render(request, "membership/roster_import.html", {
        "access": access, "chapter": access.chapter, "form": form, "recent": recent,
    }, status=400 if form.errors else 200)


def _batch(access, batch_id) -> RosterImport:
    return get_object_or_404(
        RosterImport.objects.select_related("created_by"), chapter=access.chapter, pk=batch_id
    )


@require_safe
@login_required
def roster_import_preview(request, slug, batch_id):
    """The dry run: every row's verdict before anything changes; then the import's outcome."""
    access = _leader(request, slug)
    batch = _batch(access, batch_id)
    context = {"access": access, "chapter": access.chapter, "batch": batch}
    if batch.status == RosterImport.Status.PREVIEW:
        verdicts = roster_import.assess_rows(access.chapter, batch.rows)
        # Problems first (what the leader must fix), then the rows to add, then the rest; a
        # page at a time, however long the file.
        order = {True: 0, False: 1}
        ordered = sorted(
            verdicts, key=lambda v: (order[v.is_problem], not v.is_new, v.line)
        )
        page = Paginator(ordered, PAGE_SIZE).get_page(request.GET.get("page"))
        context |= {
            "summary": roster_import.summary(verdicts),
            "page": page,
        }
    elif batch.status == RosterImport.Status.IMPORTING:
        # A worker that died leaves the run unfinished: offer to start it again.
        context["stale"] = batch.started_at is not None and (
            batch.started_at < timezone.now() - roster_import.STALE_AFTER
        )
    elif batch.status == RosterImport.Status.IMPORTED:
        context["problems"] = [
            r for r in batch.results
            if r["verdict"] not in (roster_import.CREATED, roster_import.INVITED,
                                    roster_import.UNCHANGED)
        ]
    # A preview is a page of its own; an import under way refreshes its progress alone.
    part = None if batch.status == RosterImport.Status.PREVIEW else "progress"
    return render_page_or_part(request, "membership/roster_import_preview.html", part, context)


@require_POST
@login_required
def roster_import_confirm(request, slug, batch_id):
    access = _leader(request, slug)
    batch = _batch(access, batch_id)
    if roster_import.roster_import_start(batch=batch):
        messages.success(request, f"Importing {batch.filename}…")
    return redirect("roster_import_preview", slug=access.chapter.slug, batch_id=batch.pk)


# What the roster is exported as: the writer and the content type, by file extension.
ROSTER_EXPORTS = {
    "csv": (roster_import.roster_csv, "text/csv; charset=utf-8"),
    "xlsx": (roster_import.roster_xlsx,
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


@require_safe
@login_required
def roster_export(request, slug, extension):
    access = _leader(request, slug)
    write, content_type = ROSTER_EXPORTS[extension]
    content = write(access.chapter, include_former=request.GET.get("former") == "1")
    name = f"{access.chapter.slug}-roster-{timezone.now():%Y-%m-%d}.{extension}"
    return attachment(content, content_type, name)

