"""`manage.py seed_demo`: a believable demo region whose logins work, built once."""

import datetime
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from chapters.models import Chapter
from demo.seed import (
    ADMIN_EMAIL,
    DEMO_PASSWORD,
    MEMBER_EMAIL,
    PRESIDENT_EMAIL,
    demo_region_seed,
)
from meetings.models import Attendance, Meeting, Palms, Visitor
from meetings.services import meeting_times, schedule_slots
from members import membership
from members.models import (
    Application,
    AuditEntry,
    Invitation,
    LeadershipRole,
    LeaveOfAbsence,
    Member,
    Role,
    User,
)
from referrals import models as slips
from referrals.models import CEU, OneToOne, Referral, ThankYou, Tier

pytestmark = pytest.mark.django_db


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, verbosity=0, **options)
    return out.getvalue()


@pytest.fixture
def debug_on(settings):
    settings.DEBUG = True


@pytest.fixture
def seeded(debug_on):
    return seed()


def row_counts() -> dict[str, int]:
    models = [User, EmailAddress, Chapter, Member, LeadershipRole, Meeting, Attendance, Visitor,
              Referral, ThankYou, OneToOne, CEU, slips.Testimonial, Application, Invitation,
              AuditEntry]
    return {model.__name__: model.objects.count() for model in models}


def upcoming_slots(chapter: Chapter) -> int:
    """How many meetings meetings_schedule keeps ahead of now for this chapter."""
    now = timezone.now()
    today = now.astimezone(chapter.zone).date()
    return sum(meeting_times(chapter, slot)[1] > now
               for slot in schedule_slots(chapter, today=today))


def test_default_run_builds_two_chapters_of_about_25(seeded):
    chapters = list(Chapter.objects.order_by("pk"))
    assert len(chapters) == 2
    for chapter in chapters:
        assert 20 <= chapter.members.count() <= 30
    first, second = chapters
    assert (first.time_zone, first.currency, first.traffic_light_rule_set.slug) == (
        "Europe/London", "GBP", "uk-100-point")
    assert (second.time_zone, second.currency, second.traffic_light_rule_set.slug) == (
        "America/Chicago", "USD", "power-of-one")
    assert first.meeting_weekday != second.meeting_weekday
    assert first.meeting_time != second.meeting_time
    assert all(c.venue or c.online_link for c in chapters)
    on_leave = Member.objects.filter(status=Member.Status.ON_LEAVE)
    assert on_leave.exists()
    open_leaves = LeaveOfAbsence.objects.open().filter(began_at__isnull=False)
    assert set(open_leaves.values_list("member", flat=True)) == set(
        on_leave.values_list("pk", flat=True))
    assert not open_leaves.filter(ends_on__lte=timezone.localdate()).exists()
    assert "already seeded" not in seeded
    for email in (ADMIN_EMAIL, PRESIDENT_EMAIL, MEMBER_EMAIL):
        assert email in seeded
    assert DEMO_PASSWORD in seeded


def test_demo_logins_have_the_right_roles(seeded):
    first = Chapter.objects.order_by("pk").first()
    admin = User.objects.get(email=ADMIN_EMAIL)
    assert admin.is_staff and admin.is_superuser
    assert not admin.memberships.exists()

    president = Member.objects.get(user__email=PRESIDENT_EMAIL)
    assert president.chapter == first and president.status == Member.Status.ACTIVE
    assert set(LeadershipRole.objects.current(first.today()).filter(member=president)
               .values_list("role", flat=True)) == {Role.PRESIDENT}

    member = Member.objects.get(user__email=MEMBER_EMAIL)
    assert member.chapter == first and member.status == Member.Status.ACTIVE
    assert not LeadershipRole.objects.filter(member=member).exists()
    assert not member.user.is_staff

    roles = sorted(LeadershipRole.objects.current(first.today()).filter(member__chapter=first)
                   .values_list("role", flat=True))
    assert roles == sorted([Role.PRESIDENT, Role.VICE_PRESIDENT, Role.SECRETARY_TREASURER,
                            Role.VISITOR_HOST, Role.MEMBERSHIP_COMMITTEE,
                            Role.MEMBERSHIP_COMMITTEE])


@pytest.mark.parametrize("email", [ADMIN_EMAIL, PRESIDENT_EMAIL, MEMBER_EMAIL])
def test_demo_login_signs_in_through_the_login_form(seeded, client, email):
    response = client.post(
        "/accounts/login/", {"login": email, "password": DEMO_PASSWORD}, follow=True
    )
    assert response.status_code == 200
    assert response.wsgi_request.user.is_authenticated
    assert response.wsgi_request.user.email == email
    if email != ADMIN_EMAIL:
        first = Chapter.objects.order_by("pk").first()
        assert response.redirect_chain[-1][0] == f"/chapters/{first.slug}/"


def test_admin_login_reaches_the_back_office(seeded, client):
    client.post("/accounts/login/", {"login": ADMIN_EMAIL, "password": DEMO_PASSWORD})
    assert client.get("/admin/").status_code == 200


def test_every_account_has_a_verified_primary_address(seeded):
    assert EmailAddress.objects.count() == User.objects.count()
    assert not EmailAddress.objects.filter(Q(verified=False) | Q(primary=False)).exists()
    assert not User.objects.exclude(
        email__in=EmailAddress.objects.values("email")).exists()


def test_data_respects_the_rules_of_the_domain(seeded):
    assert not (Member.objects.current().values("chapter", "classification")
                .annotate(n=Count("id")).filter(n__gt=1).exists())
    assert not (Attendance.objects.values("meeting", "member").annotate(n=Count("id"))
                .filter(n__gt=1).exists())
    assert not Attendance.objects.filter(code=Palms.SUBSTITUTE, substitute_name="").exists()
    assert not Attendance.objects.exclude(meeting__status=Meeting.Status.HELD).exists()
    assert set(Attendance.objects.values_list("code", flat=True)) == set(Palms.values)
    assert Attendance.objects.filter(code=Palms.PRESENT).count() > 0.7 * Attendance.objects.count()

    assert not Referral.objects.filter(giver=F("receiver")).exists()
    assert not Referral.objects.exclude(temperature__range=(1, 5)).exists()
    assert not Referral.objects.filter(tier=Tier.OUTSIDE, prospect_name="").exists()
    assert not Referral.objects.filter(
        tier=Tier.OUTSIDE, prospect_phone="", prospect_email="").exists()
    assert not Referral.objects.exclude(meeting__chapter=F("giver__chapter")).exists()
    assert not Referral.objects.exclude(receiver_meeting__chapter=F("receiver__chapter")).exists()
    assert set(Referral.objects.values_list("status", flat=True)) == set(Referral.Status.values)
    cross = Referral.objects.exclude(meeting__chapter=F("receiver_meeting__chapter"))
    assert 0 < cross.count() <= 12
    for referral in Referral.objects.select_related("meeting", "receiver_meeting"):
        gap = referral.meeting.local_date - referral.receiver_meeting.local_date
        assert abs(gap) < datetime.timedelta(days=7)
        assert referral.created_at <= referral.meeting.starts_at

    assert not ThankYou.objects.filter(amount__lt=0).exists()
    assert not ThankYou.objects.filter(thanked_by=F("credited_to")).exists()
    linked = ThankYou.objects.filter(referral__isnull=False)
    assert linked.exists() and ThankYou.objects.filter(referral__isnull=True).exists()
    assert not linked.exclude(credited_to=F("referral__giver")).exists()
    assert not linked.exclude(thanked_by=F("referral__receiver")).exists()
    assert not linked.exclude(referral__status=Referral.Status.CLOSED_WON).exists()
    assert not ThankYou.objects.exclude(meeting__chapter=F("thanked_by__chapter")).exists()
    assert not ThankYou.objects.exclude(
        credited_meeting__chapter=F("credited_to__chapter")).exists()

    assert not OneToOne.objects.filter(member=F("met_with")).exists()
    assert not OneToOne.objects.exclude(met_with_meeting__chapter=F("met_with__chapter")).exists()
    assert not slips.Testimonial.objects.filter(giver=F("about")).exists()
    assert CEU.objects.exists()
    assert not Visitor.objects.filter(invited_by__isnull=True).exists()
    assert not Visitor.objects.exclude(invited_by__chapter=F("meeting__chapter")).exists()
    for model in (Referral, ThankYou, OneToOne, CEU, slips.Testimonial):
        assert not model.objects.exclude(meeting__status=Meeting.Status.HELD).exists()
        # Backdated over the weeks, not all stamped with the moment of the seed.
        assert model.objects.dates("created_at", "day").count() > 10


def test_about_point_eight_referrals_per_member_per_week(seeded):
    member_weeks = Attendance.objects.count()
    assert 0.6 <= Referral.objects.count() / member_weeks <= 1.0


def test_meetings_cover_26_weeks_then_the_schedule(seeded):
    now = timezone.now()
    for chapter in Chapter.objects.all():
        past = Meeting.objects.for_chapter(chapter).filter(ends_at__lte=now)
        assert past.count() == 26
        assert past.filter(status=Meeting.Status.HOLIDAY).count() == 1
        held = past.filter(status=Meeting.Status.HELD)
        assert held.count() == 25
        draft = held.filter(report_status=Meeting.ReportStatus.DRAFT)
        assert list(draft) == [past.order_by("-starts_at").first()]
        completed = held.completed()
        assert completed.count() == 24
        assert not completed.filter(
            Q(report_completed_at__isnull=True) | Q(report_completed_by__isnull=True)).exists()
        for meeting in past:
            assert meeting.local_start.weekday() == chapter.meeting_weekday
            assert meeting.local_start.time() == chapter.meeting_time
            assert meeting.local_date == meeting.slot_date == meeting.local_start.date()
        upcoming = Meeting.objects.for_chapter(chapter).filter(ends_at__gt=now)
        assert upcoming.count() == upcoming_slots(chapter)
        assert not upcoming.exclude(status=Meeting.Status.SCHEDULED).exists()


def committee_member(chapter: Chapter) -> Member:
    return Member.objects.filter(
        chapter=chapter, roles__role=Role.MEMBERSHIP_COMMITTEE).order_by("pk").first()


@pytest.mark.parametrize("persona", ["committee", "president"])
def test_applications_page_gives_the_committee_work(seeded, client, persona):
    """Waiting applications (a visitor's among them, one in a taken classification), an
    approval whose invitation is out, and a declined one, as the committee sees them."""
    chapters = Chapter.objects.order_by("pk")
    if persona == "president":
        viewers = [(chapters[0], User.objects.get(email=PRESIDENT_EMAIL))]
    else:
        viewers = [(chapter, committee_member(chapter).user) for chapter in chapters]
    for chapter, user in viewers:
        client.force_login(user)
        url = reverse("application_list", args=[chapter.slug])
        page = client.get(url)
        assert page.status_code == 200
        shown = list(page.context["applications"])
        content = page.content.decode()
        pending = [a for a in shown if a.status == Application.Status.PENDING]
        assert len(pending) >= 3
        assert any(a.visitor_id and a.sponsor_id for a in pending)
        taken = [a for a in pending if a.classification_taken]
        assert len(taken) == 1
        assert escape(f"Classification taken by {taken[0].holder_name}") in content
        assert "Classification free" in content
        assert "Classification kept for" not in content
        [approved] = [a for a in shown if a.status == Application.Status.APPROVED]
        assert "Approved: invitation sent" in content
        assert "invitation works until" in content
        assert escape(approved.full_name) in content

        decided = client.get(url, {"show": "decided"})
        [declined] = decided.context["applications"]
        assert declined.status == Application.Status.DECLINED
        assert "Declined" in decided.content.decode()
        detail = client.get(reverse("application_detail", args=[chapter.slug, declined.pk]))
        assert escape(declined.decision_reason) in detail.content.decode()

        conflict = client.get(reverse("application_detail", args=[chapter.slug, taken[0].pk]))
        assert "<strong>Conflict:</strong>" in conflict.content.decode()
        # The real service agrees: the member holding the classification stands in the way.
        refused = client.post(
            reverse("application_approve", args=[chapter.slug, taken[0].pk]),
            {"approve-reason": ""},
        )
        assert refused.status_code == 400
        assert "is already taken" in refused.content.decode()


def test_demo_applications_are_what_the_services_would_have_left(seeded):
    now = timezone.now()
    for chapter in Chapter.objects.all():
        applications = Application.objects.for_chapter(chapter).select_related(
            "visitor__meeting", "invitation")
        assert applications.count() == 5
        for application in applications:
            assert application.created_at < now
            assert AuditEntry.objects.filter(
                application=application, action=AuditEntry.Action.APPLICATION_RECEIVED,
                at=application.created_at).count() == 1
            if application.status != Application.Status.PENDING:
                assert application.created_at < application.decided_at < now
            visitor = application.visitor
            if visitor is not None:
                assert visitor.meeting.chapter_id == chapter.pk and visitor.attended
                assert visitor.follow_up == Visitor.FollowUp.APPLIED
                assert application.sponsor_id == visitor.invited_by_id
                assert application.email == visitor.email
                assert visitor.meeting.ends_at < application.created_at

        approved = applications.get(status=Application.Status.APPROVED)
        invitation = approved.invitation
        assert Invitation.objects.pending().filter(pk=invitation.pk).exists()
        assert (invitation.email, invitation.classification_id) == (
            approved.email, approved.classification_id)
        assert invitation.expires_at == approved.decided_at + datetime.timedelta(
            days=chapter.approval_window_days)
        assert AuditEntry.objects.filter(
            application=approved, action=AuditEntry.Action.APPLICATION_APPROVED).exists()
        assert not approved.classification.members.current().filter(chapter=chapter).exists()

        declined = applications.get(status=Application.Status.DECLINED)
        assert declined.decision_reason
        assert AuditEntry.objects.filter(
            application=declined, action=AuditEntry.Action.APPLICATION_DECLINED,
            after__reason=declined.decision_reason).exists()
    # The hourly membership_dispatch finds nothing to lapse, today or tomorrow.
    assert membership.applications_lapse(now=now + datetime.timedelta(days=1)) == 0


def test_second_run_adds_nothing(seeded):
    before = row_counts()
    output = seed()
    assert "already seeded" in output
    assert row_counts() == before


def test_refuses_with_debug_off_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        seed()
    assert not User.objects.exists()
    seed(force=True, chapters=1, members=5, weeks=2)
    assert User.objects.filter(email=ADMIN_EMAIL).exists()


def test_small_custom_size_gives_exact_counts(debug_on):
    seed(chapters=3, members=6, weeks=4)
    counts = row_counts()
    chapters = list(Chapter.objects.all())
    assert counts["Chapter"] == 3
    assert counts["Member"] == 18
    assert counts["User"] == counts["EmailAddress"] == 18 + 1
    assert counts["LeadershipRole"] == 3 * 6
    # 4 past weeks: 1 holiday, 3 held (the latest still a draft) of 6 members each.
    assert counts["Attendance"] == 3 * 3 * 6
    assert counts["Meeting"] == 3 * 4 + sum(upcoming_slots(c) for c in chapters)
    assert Meeting.objects.filter(status=Meeting.Status.HOLIDAY).count() == 3
    assert Meeting.objects.completed().count() == 3 * 2
    assert Member.objects.filter(user__email__in=[PRESIDENT_EMAIL, MEMBER_EMAIL]).count() == 2
    for chapter in chapters:
        assert chapter.members.count() == 6
    # Per chapter: two waiting, one waiting in a taken classification, one approved (with its
    # invitation) and one declined.
    assert counts["Application"] == 3 * 5
    assert counts["Invitation"] == 3


def test_same_seed_gives_the_same_data(db):
    now = timezone.now()

    def snapshot():
        return list(Referral.objects.order_by("pk").values_list(
            "giver__user__email", "receiver__user__email", "tier", "temperature", "status",
            "prospect_name", "created_at")) + list(Application.objects.order_by("pk").values_list(
                "email", "classification__name", "status", "sponsor__user__email",
                "created_at", "decided_at"))

    demo_region_seed(chapters=2, members=5, weeks=3, seed=7, now=now)
    first = snapshot()
    for model in (ThankYou, Referral, OneToOne, CEU, slips.Testimonial, Visitor, Attendance,
                  Meeting, LeadershipRole, Member, Chapter, User):
        model.objects.all().delete()
    demo_region_seed(chapters=2, members=5, weeks=3, seed=7, now=now)
    assert snapshot() == first and first


@pytest.mark.parametrize("option", [{"members": 4}, {"members": 500}, {"chapters": 0},
                                    {"weeks": 0}])
def test_bad_sizes_are_refused(debug_on, option):
    with pytest.raises(CommandError):
        seed(**option)
    assert not User.objects.exists()
