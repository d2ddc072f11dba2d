"""One believable chapter with an object of every kind, for the sweeps (tenant isolation,
accessibility, fuzzing): its president, a member, a member of another chapter, an admin."""

import datetime
from dataclasses import dataclass, field

from django.utils import timezone

from chapters.models import Chapter
from meetings.models import Meeting
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
    objects: dict = field(default_factory=dict)

    def member_pages(self) -> list[str]:
        return []

    def leader_pages(self) -> list[str]:
        return []


def build_world() -> World:
    chapter = factories.chapter("Riverside Business Builders", venue="The Mill, Riverside")
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
    meeting = factories.meeting(chapter)
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
    )
