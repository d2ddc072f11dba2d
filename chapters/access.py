"""The one way views reach a chapter: scoped to the signed-in person.

Outsiders get 404 (IDs of other chapters leak nothing); members without the role get 403.
"""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, StringAgg, Subquery, Value
from django.http import Http404
from django.utils import timezone

from chapters import freshness
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
    # Every chapter page starts here, so the answer is cached under the versions of the
    # person and of the catalog: a change of membership, role, staff flag or chapter gives
    # them new tokens and the next request looks again (chapters/freshness.py). Roles are
    # current by date, hence the date in the key.
    access = freshness.cached(
        f"access:{user.pk}:{slug}:{timezone.localdate().isoformat()}",
        [("user", user.pk), freshness.CATALOG],
        lambda: (_access_lookup(user, slug), freshness.PAGE_SECONDS),
    )
    if access == NO_ACCESS:
        raise Http404
    return access


NO_ACCESS = "none"


def _access_lookup(user, slug: str) -> ChapterAccess | str:
    # The membership, its chapter and its roles in one query.
    roles_held = (
        LeadershipRole.objects.in_force()
        .filter(member=OuterRef("pk"))
        .values("member")
        .annotate(held=StringAgg("role", delimiter=Value(",")))
        .values("held")
    )
    member = (
        Member.objects.filter(
            chapter__slug=slug, user=user, status__in=Member.Status.current_values()
        )
        .select_related("chapter__traffic_light_rule_set", "user", "classification")
        .annotate(roles_held=Subquery(roles_held))
        .order_by()
        .first()
    )
    if member is not None:
        roles = frozenset(filter(None, (member.roles_held or "").split(",")))
        return ChapterAccess(chapter=member.chapter, member=member, roles=roles,
                             is_admin=user.is_staff)
    if not user.is_staff:
        return NO_ACCESS
    chapter = Chapter.objects.select_related("traffic_light_rule_set").filter(slug=slug).first()
    if chapter is None:
        return NO_ACCESS
    return ChapterAccess(chapter=chapter, member=None, is_admin=True)
