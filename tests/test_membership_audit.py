"""The audit trail (who, when, before and after), personal data downloads, anonymising, and
objects of another chapter never reachable through this chapter's pages."""

import csv
import datetime
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from meetings.models import Attendance, Visitor
from members import invitations, membership
from members.models import (
    Application,
    AuditEntry,
    LeadershipRole,
    Member,
    Role,
    RosterImport,
)
from referrals.models import Referral
from tests import factories


def test_leaders_read_the_trail_per_chapter_and_per_member(client_for, chapter, president,
                                                           member):
    membership.membership_renew(member=member, by=president.user)
    membership.membership_suspend(member=member, by=president.user, reason="Dues unpaid")
    client = client_for(president)
    page = client.get(reverse("audit_list", args=[chapter.slug])).content.decode()
    assert "Renewed" in page and "Suspended: Dues unpaid" in page
    assert president.full_name in page
    only = client.get(
        reverse("audit_list", args=[chapter.slug]) + f"?member={member.pk}&action=suspended"
    ).content.decode()
    assert "Suspended: Dues unpaid" in only and "Renewed until" not in only
    detail = client.get(reverse("membership_detail", args=[chapter.slug, member.pk]))
    assert "Suspended: Dues unpaid" in detail.content.decode()


def test_settings_changes_record_before_and_after(client_for, chapter, president):
    from tests.test_membership_roles_matrix import settings_data

    data = settings_data(chapter) | {"venue": "The Boathouse", "approval_window_days": 10}
    response = client_for(president).post(reverse("chapter_settings", args=[chapter.slug]), data)
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action=AuditEntry.Action.SETTINGS_CHANGED)
    assert entry.actor == president.user
    assert entry.before == {"venue": "", "approval_window_days": 7}
    assert entry.after == {"venue": "The Boathouse", "approval_window_days": 10}
    chapter.refresh_from_db()
    assert chapter.approval_window_days == 10
    # Saving again unchanged records nothing.
    client_for(president).post(reverse("chapter_settings", args=[chapter.slug]), data)
    assert AuditEntry.objects.filter(action=AuditEntry.Action.SETTINGS_CHANGED).count() == 1


def test_a_bad_settings_form_keeps_what_was_typed(client_for, chapter, president):
    from tests.test_membership_roles_matrix import settings_data

    data = settings_data(chapter) | {"currency": "g1p", "venue": "Typed venue"}
    response = client_for(president).post(reverse("chapter_settings", args=[chapter.slug]), data)
    assert response.status_code == 400
    content = response.content.decode()
    assert "Use a three-letter ISO code" in content
    assert 'value="Typed venue"' in content
    chapter.refresh_from_db()
    assert chapter.venue == ""


def test_audit_list_query_count_does_not_grow(client_for, chapter, president, member):
    client = client_for(president)
    url = reverse("audit_list", args=[chapter.slug])
    membership.membership_renew(member=member, by=president.user)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(3):
        other = factories.member(chapter)
        membership.membership_renew(member=other, by=president.user)
        membership.role_assign(member=other, role=Role.MENTOR_COORDINATOR,
                               starts_on=timezone.localdate(), ends_on=None, by=president.user)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


# --- Objects of another chapter ----------------------------------------------------------------


def test_objects_of_another_chapter_are_404_through_this_chapters_pages(
    client_for, chapter, other_chapter, president, other_member
):
    foreign_application = Application.objects.create(
        chapter=other_chapter, first_name="F", last_name="Oreign", email="f@example.test",
        business_name="F", classification=factories.classification("Foreign"),
    )
    foreign_term = LeadershipRole.objects.create(
        member=other_member, role=Role.VISITOR_HOST, starts_on=timezone.localdate()
    )
    foreign_batch = RosterImport.objects.create(
        chapter=other_chapter, filename="x.csv", file_sha256="0" * 64, rows=[], total=0
    )
    client = client_for(president)
    slug = chapter.slug
    gets = [
        reverse("membership_detail", args=[slug, other_member.pk]),
        reverse("application_detail", args=[slug, foreign_application.pk]),
        reverse("roster_import_preview", args=[slug, foreign_batch.pk]),
    ]
    posts = [
        reverse("membership_renew", args=[slug, other_member.pk]),
        reverse("membership_drop", args=[slug, other_member.pk]),
        reverse("application_approve", args=[slug, foreign_application.pk]),
        reverse("role_end", args=[slug, foreign_term.pk]),
        reverse("roster_import_confirm", args=[slug, foreign_batch.pk]),
    ]
    for url in gets:
        assert client.get(url).status_code == 404, url
    for url in posts:
        assert client.post(url, {"drop-reason": "x"}).status_code == 404, url
    other_member.refresh_from_db()
    assert other_member.status == Member.Status.ACTIVE


# --- Personal data -------------------------------------------------------------------------------


def _slips(chapter, member, weeks_ago=0):
    meeting = factories.meeting(
        chapter, timezone.localdate() - datetime.timedelta(weeks=weeks_ago)
    )
    other = factories.member(chapter, first_name="Gina", last_name="Giver")
    Referral.objects.create(
        giver=other, receiver=member, tier="inside", temperature=3, meeting=meeting,
        receiver_meeting=meeting,
    )
    Referral.objects.create(
        giver=member, receiver=other, tier="outside", temperature=4, meeting=meeting,
        receiver_meeting=meeting, prospect_name="Pat Prospect", prospect_phone="0123 456789",
    )
    Attendance.objects.create(meeting=meeting, member=member, code="P")
    return meeting


def test_a_member_downloads_their_own_data_as_json_and_csv(client_for, chapter, member):
    _slips(chapter, member)
    client = client_for(member)
    response = client.get(reverse("my_data_json"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["account"]["email"] == member.user.email
    assert data["memberships"][0]["classification"] == member.classification.name
    assert data["referrals_received"][0]["from"] == "Gina Giver"
    assert data["referrals_given"][0]["prospect_name"] == "Pat Prospect"
    assert data["attendance"][0]["code"] == "P"
    rows = list(csv.reader(io.StringIO(client.get(reverse("my_data_csv")).content.decode())))
    assert rows[0] == ["section", "item", "field", "value"]
    assert ["account", "1", "email", member.user.email] in rows
    assert ["referrals_given", "1", "prospect_name", "Pat Prospect"] in rows
    # Only their own: nobody else's email is in it.
    assert "Gina" not in json.dumps(data["account"])


def test_personal_data_costs_the_same_whatever_its_size(client_for, chapter, member):
    client = client_for(member)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("my_data_json"))
    for weeks_ago in range(1, 4):
        _slips(chapter, member, weeks_ago)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("my_data_json"))
    assert len(many) == len(few)


# --- Anonymising ------------------------------------------------------------------------


def test_admin_anonymises_a_dropped_member_keeping_the_numbers(
    client_for, chapter, president, admin_user, member
):
    meeting = _slips(chapter, member)
    Visitor.objects.create(meeting=meeting, name="Mia Moss", email=member.user.email)
    membership.membership_drop(member=member, by=president.user, reason="Left")
    referrals_before = Referral.objects.filter(giver=member).count()
    response = client_for(admin_user).post(
        reverse("membership_anonymise", args=[chapter.slug, member.pk]), {"confirm": "on"}
    )
    assert response.status_code == 302
    member.refresh_from_db()
    user = member.user
    assert user.first_name == "Former" and "example.test" not in user.email
    assert not user.is_active and not user.has_usable_password()
    assert member.phone == "" and member.business_name == "Former member"
    assert Member.objects.filter(pk=member.pk).exists()
    assert Referral.objects.filter(giver=member).count() == referrals_before
    assert Attendance.objects.filter(member=member).count() == 1
    assert not Visitor.objects.filter(name="Mia Moss").exists()
    assert AuditEntry.objects.filter(member=member, action=AuditEntry.Action.ANONYMISED)
    # A second click changes nothing.
    again = client_for(admin_user).post(
        reverse("membership_anonymise", args=[chapter.slug, member.pk]), {"confirm": "on"}
    )
    assert again.status_code == 302


def test_only_a_former_member_can_be_anonymised(chapter, admin_user, member):
    with pytest.raises(invitations.MembershipError, match="Drop them first"):
        membership.member_anonymise(member=member, by=admin_user)


def test_anonymising_is_refused_while_they_belong_to_another_chapter(
    chapter, other_chapter, president, admin_user, member
):
    factories.member(other_chapter)
    from members.models import Member as M

    M.objects.create(user=member.user, chapter=other_chapter,
                     classification=factories.classification("Elsewhere"), business_name="B",
                     joined_on=datetime.date(2024, 1, 1))
    membership.membership_drop(member=member, by=president.user, reason="Left")
    with pytest.raises(invitations.MembershipError, match="still a member of Hilltop"):
        membership.member_anonymise(member=member, by=admin_user)
