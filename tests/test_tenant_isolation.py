"""The tenant-isolation sweep: every URL pattern from Django's resolver, filled with real ids of a
seeded chapter, requested as each role with GET and POST. A declared matrix says what each role
gets; the sweep fails on any difference and on any URL pattern the matrix does not cover.
Outsiders (members of another chapter) get 404, never 403 and never data."""

from dataclasses import dataclass

import pytest
from django.db import transaction
from django.urls import URLResolver, get_resolver, reverse

from tests.world import World, build_world

ROLES = ("anonymous", "outsider", "member", "leader", "admin")
LOGIN = "login"  # a redirect to the sign-in page
REDIRECT = "redirect"  # any 3xx elsewhere
ANY = "any"  # any answer below 500 (third-party pages we configure but do not own)
NOT_ALLOWED = 405


@dataclass(frozen=True)
class Access:
    get: dict
    post: dict


def roles(anonymous, outsider, member, leader, admin) -> dict:
    return dict(zip(ROLES, (anonymous, outsider, member, leader, admin), strict=True))


EVERYONE_ANY = roles(ANY, ANY, ANY, ANY, ANY)
NONE_ALLOWED = roles(*(NOT_ALLOWED,) * 5)


def member_page(post=None) -> Access:
    """A page of the chapter every member sees; outsiders 404."""
    return Access(get=roles(LOGIN, 404, 200, 200, 200), post=post or NONE_ALLOWED)


def leader_page(post=None) -> Access:
    return Access(get=roles(LOGIN, 404, 403, 200, 200), post=post or NONE_ALLOWED)


def leader_action(done=REDIRECT) -> Access:
    """A POST-only action of the leadership team."""
    return Access(get=NONE_ALLOWED, post=roles(LOGIN, 404, 403, done, done))


def account_page() -> Access:
    """allauth's pages: configured by us, behaviour theirs; they must never fail."""
    return Access(get=EVERYONE_ANY, post=EVERYONE_ANY)


def admin_page() -> Access:
    """The back office: staff only; everyone else is sent to sign in (or refused)."""
    others = roles(REDIRECT, REDIRECT, REDIRECT, REDIRECT, ANY)
    return Access(get=others, post=others)


MATRIX: dict[str, Access] = {
    "home": Access(get=roles(LOGIN, REDIRECT, REDIRECT, REDIRECT, 200), post=NONE_ALLOWED),
    "chapter_home": member_page(),
    "invitation_list": leader_page(post=roles(LOGIN, 404, 403, 400, 400)),
    "invitation_revoke": leader_action(),
    # The invitation link itself is the secret: anyone holding it sees the invitation.
    "invitation_accept": Access(
        get=roles(200, 200, 200, 200, 200), post=roles(400, ANY, ANY, ANY, ANY)
    ),
}

# URL keyword -> the real value from the seeded chapter.
FILLERS = {
    "slug": lambda world: world.chapter.slug,
    "invitation_id": lambda world: world.invitation.pk,
    "token": lambda world: world.invitation.token,
    "key": lambda world: "not-a-real-key",
    "uidb36": lambda world: "zz",
}


def walk(patterns, prefix="", namespace=None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from walk(
                pattern.url_patterns, prefix + str(pattern.pattern), pattern.namespace or namespace
            )
        else:
            yield namespace, pattern, prefix + str(pattern.pattern)


def every_pattern():
    for namespace, pattern, route in walk(get_resolver().url_patterns):
        name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
        yield pytest.param(namespace, name, route, pattern, id=name or route)


def access_for(namespace, name, route) -> Access | None:
    if name == "admin:login":  # allauth's secure_admin_login: signed-in non-staff are refused
        return Access(
            get=roles(REDIRECT, 403, 403, 403, REDIRECT), post=roles(ANY, 403, 403, 403, ANY)
        )
    if namespace == "admin":
        return admin_page()
    if route.startswith("accounts/"):
        return account_page()
    return MATRIX.get(name)


def url_for(namespace, name, route, pattern, world: World) -> str:
    keywords = list(pattern.pattern.converters) or list(pattern.pattern.regex.groupindex)
    if namespace == "admin":
        return admin_url(name, keywords, world)
    missing = [keyword for keyword in keywords if keyword not in FILLERS]
    assert not missing, f"{route}: add a filler for {missing} in FILLERS"
    return reverse(name, kwargs={keyword: FILLERS[keyword](world) for keyword in keywords})


def admin_url(name, keywords, world) -> str:
    from django.contrib import admin
    from django.contrib.contenttypes.models import ContentType

    if name is None:  # the catch-all that redirects old object URLs
        return f"/admin/members/user/{world.member.user.pk}/"
    if name == "admin:view_on_site":
        content_type = ContentType.objects.get_for_model(world.member.user)
        return reverse(name, args=[content_type.pk, world.member.user.pk])
    kwargs = {}
    if "app_label" in keywords:
        kwargs["app_label"] = next(iter(admin.site._registry))._meta.app_label
    if "object_id" in keywords:
        url_name = name.split(":", 1)[1]
        model = next(
            model
            for model in admin.site._registry
            if url_name.startswith(f"{model._meta.app_label}_{model._meta.model_name}_")
        )
        instance = model._default_manager.first()
        kwargs["object_id"] = instance.pk if instance else 1
    return reverse(name, kwargs=kwargs)


def check(response, expected, *, what: str) -> str | None:
    status = response.status_code
    if expected == ANY:
        ok = status < 500
    elif expected == LOGIN:
        ok = status == 302 and response.url.startswith(reverse("account_login"))
    elif expected == REDIRECT:
        ok = 300 <= status < 400
    else:
        ok = status == expected
    return None if ok else f"{what}: expected {expected}, got {status}"


@pytest.mark.django_db
@pytest.mark.parametrize(("namespace", "name", "route", "pattern"), list(every_pattern()))
def test_every_url_answers_each_role_as_declared(client, namespace, name, route, pattern):
    access = access_for(namespace, name, route)
    assert access is not None, f"{route} ({name}) is not in the tenant-isolation MATRIX"
    world = build_world()
    url = url_for(namespace, name, route, pattern, world)
    people = {
        "anonymous": None,
        "outsider": world.other_member.user,
        "member": world.member.user,
        "leader": world.president.user,
        "admin": world.admin,
    }
    problems = []
    for role in ROLES:
        for method, expected in (("GET", access.get[role]), ("POST", access.post[role])):
            client.logout()
            if people[role] is not None:
                client.force_login(people[role])
            # Each request in its own savepoint, so one role's POST does not change the next's.
            with transaction.atomic():
                response = getattr(client, method.lower())(url)
                transaction.set_rollback(True)
            problem = check(response, expected, what=f"{method} {url} as {role}")
            if problem:
                problems.append(problem)
            if role == "outsider" and expected == 404:
                assert world.chapter.name.encode() not in response.content
    assert problems == [], "\n".join(problems)


def test_outsiders_are_never_declared_403():
    for name, access in MATRIX.items():
        assert access.get["outsider"] != 403 and access.post["outsider"] != 403, name
