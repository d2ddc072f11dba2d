"""The one way views reach a chapter: scoped to the signed-in person.

Outsiders get 404 (IDs of other chapters leak nothing); members without the role get 403.
"""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.http import Http404

from chapters.models import Chapter
from members.models import LEADING_ROLES, LeadershipRole, Member, Role


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
    """The chapter with this slug if the user may see it, with their roles; else 404."""
    user = request.user
    if not user.is_authenticated:
        raise Http404
    try:
        chapter = Chapter.objects.select_related("traffic_light_rule_set").get(slug=slug)
    except Chapter.DoesNotExist:
        raise Http404 from None
    member = (
        Member.objects.filter(chapter=chapter, user=user, status__in=Member.Status.current_values())
        .select_related("user", "classification")
        .first()
    )
    if member is None and not user.is_staff:
        raise Http404
    roles: frozenset[str] = frozenset()
    if member is not None:
        roles = frozenset(
            LeadershipRole.objects.current().filter(member=member).values_list("role", flat=True)
        )
    return ChapterAccess(chapter=chapter, member=member, roles=roles, is_admin=user.is_staff)
