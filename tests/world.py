"""One believable chapter with an object of every kind, for the sweeps (tenant isolation,
accessibility, fuzzing): its president, a member, a member of another chapter, an admin."""

import datetime
from dataclasses import dataclass, field

from django.utils import timezone

from chapters.models import Chapter
from meetings.models import Meeting, Visitor
from members.models import Invitation, Member, Role, User
from tests import factories


@dataclass
class World:
    chapter: Chapter
    other_chapter: Chapter
    president: Member
    vice_president: Member
    member: Member
    other_member: Member
    admin: User
    meeting: Meeting
    invitation: Invitation
    visitor: Visitor
    objects: dict = field(default_factory=dict)

    def member_pages(self) -> list[str]:
        """The main pages a member uses (the accessibility and fuzzing sweeps visit them)."""
        from django.urls import reverse

        slug = self.chapter.slug
        names = [
            "slip_hub", "referral_new", "thank_you_new", "one_to_one_new", "ceu_new",
            "testimonial_new", "visitor_new", "referral_inbox", "referral_given",
            "thank_you_list", "one_to_one_list", "roster", "profile_edit", "meeting_list",
            "reports_home", "notification_preferences",
        ]
        pages = [reverse(name, args=[slug]) for name in names]
        pages.append(reverse("meeting_detail", args=[slug, self.meeting.pk]))
        pages.append(reverse("my_data"))
        return pages

    def leader_pages(self) -> list[str]:
        """The main pages of the leadership team."""
        from django.urls import reverse

        slug = self.chapter.slug
        names = [
            "visitor_list", "absence_list", "reports_palms", "reports_traffic_lights",
            "reports_chapter_lights", "reports_charts", "reports_rules", "reports_import",
            "membership_list", "application_list", "application_create", "role_list",
            "audit_list", "roster_import_upload", "chapter_settings", "delivery_log",
            "slip_corrections",
        ]
        pages = [reverse(name, args=[slug]) for name in names]
        for name in ("attendance", "meeting_report", "meeting_visitors", "meeting_agenda",
                     "meeting_edit", "checkin_code"):
            pages.append(reverse(name, args=[slug, self.meeting.pk]))
        pages.append(reverse("membership_detail", args=[slug, self.member.pk]))
        return pages


def build_world() -> World:
    # Two feature presentations a meeting, so the sweeps see both presenters and both selects.
    chapter = factories.chapter(
        "Riverside Business Builders", venue="The Mill, Riverside", feature_presentations=2
    )
    other_chapter = factories.chapter("Hilltop Networkers")
    president = factories.member(
        chapter,
        roles=(Role.PRESIDENT,),
        first_name="Priya",
        last_name="Patel",
        email="president@example.test",
    )
    vice_president = factories.member(
        chapter,
        roles=(Role.VICE_PRESIDENT,),
        first_name="Victor",
        last_name="Vance",
        email="vp@example.test",
    )
    member = factories.member(
        chapter, first_name="Mia", last_name="Moss", email="member@example.test"
    )
    other_member = factories.member(
        other_chapter, first_name="Otto", last_name="Olsen", email="outsider@example.test"
    )
    for _ in range(3):
        factories.member(chapter)
    admin = factories.admin("admin@example.test")
    meeting = factories.meeting(
        chapter, feature_presenter=member, second_feature_presenter=vice_president
    )
    invitation = Invitation.objects.create(
        chapter=chapter,
        email="invitee@example.test",
        first_name="Ivy",
        last_name="Invitee",
        classification=factories.classification("Wedding Photography"),
        business_name="Ivy Pictures",
        invited_by=president.user,
        expires_at=timezone.now() + datetime.timedelta(days=7),
    )
    visitor = Visitor.objects.create(
        meeting=meeting,
        name="Vera Visitor",
        company="Vera Ventures",
        email="vera@example.test",
        invited_by=member,
    )
    return World(
        chapter=chapter,
        other_chapter=other_chapter,
        president=president,
        vice_president=vice_president,
        member=member,
        other_member=other_member,
        admin=admin,
        meeting=meeting,
        invitation=invitation,
        visitor=visitor,
    )
