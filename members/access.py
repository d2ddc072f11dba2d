"""The one way views reach a chapter: scoped to the signed-in person.

Outsiders get 404 (IDs of other chapters leak nothing); members without the role get 403.
"""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.http import Http404

from chapters.models import Chapter
from members.models import LEADING_ROLES, LeadershipRole, Member, Role


def chapters_for_user(user):
    """Chapters where the user holds a current membership."""
    return Chapter.objects.filter(
        members__user=user, members__status__in=Member.Status.current_values()
    ).distinct()


@dataclass(frozen=True)
class ChapterAccess:
    chapter: Chapter
    member: Member | None
    roles: frozenset[str] = field(default_factory=frozenset)
    is_admin: bool = False

    @property
    def is_leader(self) -> bool:
        return self.is_admin or bool(self.roles & LEADING_ROLES)

    def has_role(self, *roles: str) -> bool:
        return self.is_leader or bool(self.roles & set(roles))

    def require_leader(self) -> None:
        if not self.is_leader:
            raise PermissionDenied("Only the chapter's leadership team can do this.")

    def require_role(self, *roles: str) -> None:
        if not self.has_role(*roles):
            names = ", ".join(Role(r).label for r in roles)
            raise PermissionDenied(f"Only the leadership team or the {names} can do this.")


def get_chapter_for_user(request, slug: str) -> ChapterAccess:
    """The chapter with this slug if the user may see it, with their roles; else 404.

    Read from the database on every request, never from a cache: a suspension, a dropped
    membership, a role moved to someone else or an account closed by any path (a service, the
    admin, a bulk update, a shell) applies from the very next request.
    """
    user = request.user
    if not user.is_authenticated:
        raise Http404
    member = (
        Member.objects.filter(
            chapter__slug=slug, user=user, status__in=Member.Status.current_values()
        )
        .select_related("chapter__traffic_light_rule_set", "user", "classification")
        .order_by()
        .first()
    )
    if member is not None:
        roles = frozenset()
        if member.status in Member.Status.leading_values():
            # Terms run by the chapter's own date: one that ended yesterday there is over,
            # whatever the date is in UTC or on the server.
            roles = frozenset(
                LeadershipRole.objects.current(member.chapter.today())
                .filter(member=member)
                .values_list("role", flat=True)
            )
        return ChapterAccess(chapter=member.chapter, member=member, roles=roles,
                             is_admin=user.is_staff)
    if not user.is_staff:
        raise Http404
    chapter = Chapter.objects.select_related("traffic_light_rule_set").filter(slug=slug).first()
    if chapter is None:
        raise Http404
    return ChapterAccess(chapter=chapter, member=None, is_admin=True)
