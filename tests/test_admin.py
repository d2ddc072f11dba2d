"""The back office: every model has a working admin, lists cost the same however long they
are, and only staff get in."""

import datetime
import itertools
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from chapters.models import Classification, TrafficLightRuleSet
from meetings.models import AbsenceNotice, Attendance, Meeting, Palms, Visitor
from members.models import (
    Application,
    AuditEntry,
    Invitation,
    LeadershipRole,
    LeaveOfAbsence,
    Member,
    MembershipTransfer,
    RenewalReminder,
    Role,
    RosterImport,
    User,
)
from notifications.models import Delivery, NotificationBatch, NotificationOptOut
from referrals import models as slips
from referrals.models import (
    CEU,
    GiverNotice,
    OneToOne,
    Referral,
    SlipCorrection,
    ThankYou,
    Tier,
)
from reports.models import ImportBatch, ImportedRow, ImportedSlip
from tests import factories

OUR_APPS = ("chapters", "members", "meetings", "referrals", "reports", "notifications")
_seq = itertools.count(1)


def _meeting(chapter) -> Meeting:
    """A meeting on a date of its own, so rows never collide on (chapter, date)."""
    local_date = datetime.date(2026, 1, 5) + datetime.timedelta(days=next(_seq))
    return factories.meeting(chapter, local_date)


def _member(chapter) -> Member:
    return factories.member(chapter)


def _batch(chapter) -> ImportBatch:
    n = next(_seq)
    return ImportBatch.objects.create(
        chapter=chapter, kind=ImportBatch.Kind.SLIPS, filename=f"slips-{n}.xlsx",
        file_sha256=f"{n:064d}", created_by=factories.user(),
    )


def _referral(chapter) -> Referral:
    return Referral.objects.create(
        giver=_member(chapter), receiver=_member(chapter), tier=Tier.INSIDE, temperature=3,
        meeting=_meeting(chapter), receiver_meeting=_meeting(chapter),
    )


def _thank_you(chapter) -> ThankYou:
    referral = _referral(chapter)
    return ThankYou.objects.create(
        thanked_by=referral.receiver, credited_to=referral.giver, amount=Decimal("1250.00"),
        referral=referral, meeting=_meeting(chapter), credited_meeting=_meeting(chapter),
    )


# One new row of each model per call, with related rows of its own: a list page that fetched
# them one by one would then cost more queries for more rows.
BUILDERS: dict[type, Callable] = {
    TrafficLightRuleSet: lambda c: TrafficLightRuleSet.objects.create(
        name=f"Adjusted rules {next(_seq)}", slug=f"adjusted-{next(_seq)}",
        owner=factories.chapter(), based_on=TrafficLightRuleSet.objects.first(),
    ),
    apps.get_model("chapters", "Chapter"): lambda c: _member(factories.chapter()).chapter,
    apps.get_model("chapters", "Industry"): lambda c: factories.classification(
        industry_name=f"Industry {next(_seq)}").industry,
    Classification: lambda c: factories.classification(industry_name=f"Trade {next(_seq)}"),
    ImportBatch: lambda c: _batch(factories.chapter()),
    ImportedRow: lambda c: ImportedRow.objects.create(
        chapter=c, kind=ImportBatch.Kind.SLIPS, fingerprint=f"row-{next(_seq)}", batch=_batch(c)),
    ImportedSlip: lambda c: ImportedSlip.objects.create(
        chapter=c, member=_member(c), meeting=_meeting(c),
        kind=ImportedSlip.Kind.REFERRAL_GIVEN, tier="outside",
        counterpart_name="Someone in another chapter", batch=_batch(c),
    ),
    User: lambda c: factories.user(),
    Member: _member,
    LeadershipRole: lambda c: factories.member(c, roles=(Role.VISITOR_HOST,)).roles.get(),
    Invitation: lambda c: Invitation.objects.create(
        chapter=factories.chapter(), email=f"invitee{next(_seq)}@example.test",
        first_name="Ivy", last_name="Invitee", classification=factories.classification(),
        business_name="Invitee Ltd", invited_by=factories.user(),
        expires_at=timezone.now() + datetime.timedelta(days=7),
    ),
    NotificationOptOut: lambda c: NotificationOptOut.objects.create(
        member=_member(factories.chapter()), kind="reminder"),
    NotificationBatch: lambda c: NotificationBatch.objects.create(
        kind="tally", meeting=_meeting(factories.chapter()), reason="schedule"),
    Delivery: lambda c: Delivery.objects.create(
        kind="reminder", chapter=c, member=_member(c), meeting=_meeting(c),
        to_email="someone@example.test", resent_by=factories.user(),
    ),
    Application: lambda c: Application.objects.create(
        chapter=factories.chapter(), first_name="Ann", last_name="Applicant",
        email=f"applicant{next(_seq)}@example.test", business_name="Applicant Ltd",
        classification=factories.classification(),
    ),
    LeaveOfAbsence: lambda c: LeaveOfAbsence.objects.create(
        member=_member(factories.chapter()), starts_on=datetime.date(2026, 3, 2),
        ends_on=datetime.date(2026, 4, 6), reason="Medical leave", created_by=factories.user(),
    ),
    MembershipTransfer: lambda c: MembershipTransfer.objects.create(
        from_member=factories.member(factories.chapter(), status=Member.Status.DROPPED),
        to_member=_member(factories.chapter()), transferred_by=factories.user(),
    ),
    RenewalReminder: lambda c: RenewalReminder.objects.create(
        member=_member(c), days_before=30, due_on=datetime.date(2026, 12, 1)),
    RosterImport: lambda c: RosterImport.objects.create(
        chapter=factories.chapter(), filename=f"roster-{next(_seq)}.csv",
        file_sha256=f"{next(_seq):064d}", created_by=factories.user(),
    ),
    AuditEntry: lambda c: AuditEntry.objects.create(
        chapter=factories.chapter(), member=_member(c), actor=factories.user(),
        action=AuditEntry.Action.JOINED, summary="Joined",
    ),
    Meeting: lambda c: _meeting_with_people(factories.chapter()),
    Attendance: lambda c: Attendance.objects.create(
        meeting=_meeting(c), member=_member(c), code=Palms.PRESENT, marked_by=factories.user()),
    Visitor: lambda c: Visitor.objects.create(
        meeting=_meeting(c), name="Vera Visitor", company="Visits Ltd",
        classification=factories.classification(), invited_by=_member(c),
        created_by=factories.user(),
    ),
    AbsenceNotice: lambda c: AbsenceNotice.objects.create(
        member=_member(c), meeting=_meeting(c), level="at_limit", absences=3),
    Referral: _referral,
    ThankYou: _thank_you,
    OneToOne: lambda c: OneToOne.objects.create(
        member=_member(c), met_with=_member(c), met_on=datetime.date(2026, 3, 2),
        meeting=_meeting(c), met_with_meeting=_meeting(c),
    ),
    CEU: lambda c: CEU.objects.create(
        member=_member(c), description="Podcast", earned_on=datetime.date(2026, 3, 2),
        meeting=_meeting(c),
    ),
    slips.Testimonial: lambda c: slips.Testimonial.objects.create(
        giver=_member(c), about=_member(c), text="Brilliant work on our new kitchen.",
        meeting=_meeting(c),
    ),
    SlipCorrection: lambda c: SlipCorrection.objects.create(
        slip_type="referral", slip_id=next(_seq), meeting=_meeting(c),
        changed_by=factories.user(), reason="Wrong receiver.",
        before={"receiver": 1}, after={"receiver": 2},
    ),
    GiverNotice: lambda c: GiverNotice.objects.create(
        kind="status", member=_member(c), referral=_referral(c), status="contacted"),
}


def _meeting_with_people(chapter) -> Meeting:
    meeting = _meeting(chapter)
    meeting.feature_presenter = _member(chapter)
    meeting.second_feature_presenter = _member(chapter)
    meeting.report_status = Meeting.ReportStatus.COMPLETED
    meeting.report_completed_by = factories.user()
    meeting.report_completed_at = timezone.now()
    meeting.save()
    return meeting


def our_models() -> list[type]:
    return [m for app in OUR_APPS for m in apps.get_app_config(app).get_models()]


def model_id(model) -> str:
    return model._meta.label


def url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def changelist_queries(client, model) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url(model, "changelist"))
    assert response.status_code == 200
    return len(queries)


@pytest.fixture
def staff_client(client_for, admin_user):
    return client_for(admin_user)


def test_every_model_of_our_apps_is_in_the_admin():
    missing = [model_id(m) for m in our_models() if not admin.site.is_registered(m)]
    assert missing == []
    assert sorted(map(model_id, BUILDERS)) == sorted(map(model_id, our_models()))


@pytest.mark.parametrize("model", list(admin.site._registry), ids=model_id)
def test_changelist_search_and_add_page_open_for_an_admin(staff_client, model):
    assert staff_client.get(url(model, "changelist")).status_code == 200
    assert staff_client.get(url(model, "changelist"), {"q": "a"}).status_code == 200
    assert staff_client.get(url(model, "add")).status_code == 200


@pytest.mark.parametrize("model", list(BUILDERS), ids=model_id)
def test_change_page_opens_for_an_admin(staff_client, chapter, model):
    row = BUILDERS[model](chapter)
    assert staff_client.get(url(model, "change", row.pk)).status_code == 200
    response = staff_client.get(url(model, "changelist"), {"q": str(row.pk)})
    assert response.status_code == 200


@pytest.mark.parametrize("model", list(BUILDERS), ids=model_id)
def test_changelist_queries_do_not_grow_with_rows(staff_client, chapter, model):
    build = BUILDERS[model]
    for _ in range(2):
        build(chapter)
    few = changelist_queries(staff_client, model)
    for _ in range(18):
        build(chapter)
    assert model.objects.count() >= 20
    assert changelist_queries(staff_client, model) == few


def test_add_user_in_the_back_office(staff_client):
    response = staff_client.post(url(User, "add"), {
        "email": "New.Person@Example.TEST", "first_name": "New", "last_name": "Person",
        "usable_password": "true", "password1": "a long enough passphrase",
        "password2": "a long enough passphrase",
    })
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(email="new.person@example.test")
    assert user.check_password("a long enough passphrase")
    assert not user.is_staff


def test_user_change_page_shows_addresses_and_memberships(staff_client, member):
    response = staff_client.get(url(User, "change", member.user.pk))
    assert response.status_code == 200
    assert member.business_name in response.text
    assert member.user.email in response.text


@pytest.mark.parametrize("model", [Member, Referral, Meeting, User], ids=model_id)
def test_non_staff_member_is_sent_to_the_login(client_for, member, model):
    client = client_for(member)
    for path in ("/admin/", url(model, "changelist"), url(model, "add")):
        response = client.get(path)
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))
    # The back-office login then refuses a signed-in non-staff account outright.
    response = client.get(url(model, "changelist"), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("admin:login"))
    assert response.status_code in (200, 403)
    assert "cl" not in (response.context or {})
    assert member.business_name not in response.text


def test_anonymous_visitor_is_sent_to_the_allauth_login(client):
    response = client.get(url(Member, "changelist"), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("account_login"))
