"""The people of the membership tests: a chapter's President, Vice President, Membership
Committee member, Visitor Host and a member; a member of another chapter; a site admin; and
the things they act on (an application, a member to manage, a former member, a role term)."""

import csv
import datetime
import io
from dataclasses import dataclass

from django.utils import timezone

from chapters.models import Chapter
from members.models import Application, LeadershipRole, Member, Role, RosterImport, User
from tests import factories

ROLES = (
    "anonymous", "outsider", "member", "visitor_host", "committee", "vice_president",
    "president", "admin",
)


@dataclass
class MembershipWorld:
    chapter: Chapter
    other_chapter: Chapter
    president: Member
    vice_president: Member
    committee: Member
    visitor_host: Member
    member: Member
    other_member: Member
    admin: User
    target: Member
    former: Member
    application: Application
    term: LeadershipRole
    batch: RosterImport

    def person(self, role: str) -> User | None:
        return {
            "anonymous": None,
            "outsider": self.other_member.user,
            "member": self.member.user,
            "visitor_host": self.visitor_host.user,
            "committee": self.committee.user,
            "vice_president": self.vice_president.user,
            "president": self.president.user,
            "admin": self.admin,
        }[role]


def roster_csv(rows: list[list[str]], header=None) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header or ["First name", "Last name", "Email", "Phone", "Business",
                               "Classification"])
    writer.writerows(rows)
    return buffer.getvalue().encode()


def build_membership_world() -> MembershipWorld:
    chapter = factories.chapter("Riverside Business Builders")
    other_chapter = factories.chapter("Hilltop Networkers")
    president = factories.member(chapter, roles=(Role.PRESIDENT,), email="president@example.test")
    vice_president = factories.member(
        chapter, roles=(Role.VICE_PRESIDENT,), email="vp@example.test"
    )
    committee = factories.member(
        chapter, roles=(Role.MEMBERSHIP_COMMITTEE,), email="committee@example.test"
    )
    visitor_host = factories.member(
        chapter, roles=(Role.VISITOR_HOST,), email="host@example.test"
    )
    member = factories.member(chapter, email="member@example.test")
    other_member = factories.member(other_chapter, email="outsider@example.test")
    admin = factories.admin("admin@example.test")
    target = factories.member(
        chapter, email="target@example.test", first_name="Tara", last_name="Target"
    )
    term = LeadershipRole.objects.create(
        member=target, role=Role.MENTOR_COORDINATOR,
        starts_on=timezone.localdate() - datetime.timedelta(days=10),
    )
    former = factories.member(
        chapter, email="former@example.test", status=Member.Status.DROPPED
    )
    application = Application.objects.create(
        chapter=chapter,
        first_name="Ada",
        last_name="Applicant",
        email="ada@example.test",
        business_name="Ada's Accounts",
        classification=factories.classification("Bookkeeping"),
    )
    batch = RosterImport.objects.create(
        chapter=chapter,
        filename="roster.csv",
        file_sha256="0" * 64,
        rows=[{"line": 2, "first_name": "Rob", "last_name": "Row", "email": "rob@example.test",
               "phone": "", "business_name": "Rob Ltd", "classification": "Plumbing",
               "industry": "", "joined_on": "", "renewal_due_on": ""}],
        total=1,
        created_by=president.user,
    )
    factories.classification("Plumbing")
    return MembershipWorld(
        chapter=chapter, other_chapter=other_chapter, president=president,
        vice_president=vice_president, committee=committee, visitor_host=visitor_host,
        member=member, other_member=other_member, admin=admin, target=target, former=former,
        application=application, term=term, batch=batch,
    )
