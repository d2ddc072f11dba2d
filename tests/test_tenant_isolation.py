"""The tenant-isolation sweep: every URL pattern from Django's resolver, filled with real ids of a
seeded chapter, requested as each role with GET and POST. A declared matrix says what each role
gets; the sweep fails on any difference and on any URL pattern the matrix does not cover.
Outsiders (members of another chapter) get 404, never 403 and never data."""

import datetime
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
    "healthz": Access(get=roles(200, 200, 200, 200, 200), post=NONE_ALLOWED),
    "readyz": Access(get=roles(200, 200, 200, 200, 200), post=NONE_ALLOWED),
    # The icon's usual path sends every client to the static icon.
    "favicon": Access(get=roles(*(REDIRECT,) * 5), post=NONE_ALLOWED),
    "home": Access(get=roles(LOGIN, REDIRECT, REDIRECT, REDIRECT, 200), post=NONE_ALLOWED),
    "chapter_home": member_page(),
    "invitation_list": leader_page(post=roles(LOGIN, 404, 403, 400, 400)),
    "invitation_revoke": leader_action(),
    # Meetings (issue 5).
    "meeting_list": member_page(),
    "meeting_detail": member_page(),
    "meeting_next": Access(get=roles(LOGIN, 404, REDIRECT, REDIRECT, REDIRECT), post=NONE_ALLOWED),
    # The world's meeting is not open for check-in yet: members are told so (400).
    "checkin": Access(get=roles(LOGIN, 404, 200, 200, 200), post=roles(LOGIN, 404, 400, 400, 403)),
    "attendance": leader_page(),
    "attendance_rows": leader_page(),
    "checkin_code": leader_page(),
    "meeting_report": leader_page(),
    "meeting_report_numbers": leader_page(),
    "visitor_list": leader_page(),
    "visitor_classification_check": leader_page(),
    "absence_list": leader_page(),
    "meeting_edit": leader_page(post=roles(LOGIN, 404, 403, 400, 400)),
    "meeting_visitors": leader_page(post=roles(LOGIN, 404, 403, 400, 400)),
    "meeting_agenda": leader_page(post=roles(LOGIN, 404, 403, REDIRECT, REDIRECT)),
    "meeting_status": leader_action(),
    "attendance_mark_rest": leader_action(),
    "meeting_report_complete": leader_action(),
    "visitor_follow_up": leader_action(),
    "visitor_invite": leader_action(),
    "attendance_mark": leader_action(done=400),
    "attendance_correct": Access(
        get=roles(LOGIN, 404, 403, REDIRECT, REDIRECT),
        post=roles(LOGIN, 404, 403, REDIRECT, REDIRECT),
    ),
    # Notification emails (issue 6). Staff without a membership get no emails: 404.
    "notification_preferences": Access(
        get=roles(LOGIN, 404, 200, 200, 404), post=roles(LOGIN, 404, REDIRECT, REDIRECT, 404)
    ),
    "calendar_feed_create": Access(
        get=NONE_ALLOWED, post=roles(LOGIN, 404, REDIRECT, REDIRECT, 404)
    ),
    "calendar_feed_revoke": Access(
        get=NONE_ALLOWED, post=roles(LOGIN, 404, REDIRECT, REDIRECT, 404)
    ),
    "delivery_log": leader_page(),
    "delivery_resend": leader_action(),
    # The signed or secret token is the only key; the sweep's token is no such key: 404.
    "notification_unsubscribe": Access(get=roles(*(404,) * 5), post=roles(*(404,) * 5)),
    "calendar_feed": Access(get=roles(*(404,) * 5), post=NONE_ALLOWED),
    # The invitation link itself is the secret: anyone holding it sees the invitation.
    "invitation_accept": Access(
        get=roles(200, 200, 200, 200, 200), post=roles(400, ANY, ANY, ANY, ANY)
    ),
    # Reports (issue 7).
    "reports_home": member_page(),
    "reports_traffic_lights": member_page(),
    "reports_member_light": member_page(),
    "reports_palms": leader_page(),
    "reports_export": leader_page(),
    "reports_chapter_lights": leader_page(),
    "reports_charts": leader_page(),
    "reports_rules": leader_page(post=roles(LOGIN, 404, 403, 400, 400)),
    "reports_import": leader_page(post=roles(LOGIN, 404, 403, 400, 400)),
    "reports_rules_choose": leader_action(done=400),
    "reports_import_preview": leader_page(post=roles(LOGIN, 404, 403, REDIRECT, REDIRECT)),
    # Membership (issue 8). Transfer and anonymise are for admins only.
    "membership_list": leader_page(),
    "membership_detail": leader_page(),
    "membership_renew": leader_action(),
    "membership_leave_end": leader_action(),
    "membership_reinstate": leader_action(),
    "membership_leave": leader_action(done=400),
    "membership_suspend": leader_action(done=400),
    "membership_drop": leader_action(done=400),
    "membership_transfer": Access(get=NONE_ALLOWED, post=roles(LOGIN, 404, 403, 403, 400)),
    "membership_anonymise": Access(get=NONE_ALLOWED, post=roles(LOGIN, 404, 403, 403, 400)),
    "role_list": leader_page(post=roles(LOGIN, 404, 403, 400, 400)),
    "role_end": leader_action(),
    "application_list": leader_page(),
    "application_detail": leader_page(),
    "application_create": leader_page(post=roles(LOGIN, 404, 403, 400, 400)),
    "application_approve": leader_action(),
    "application_decline": leader_action(done=400),
    "application_reclassify": leader_action(done=400),
    "audit_list": leader_page(),
    "roster_import_upload": leader_page(post=roles(LOGIN, 404, 403, 400, 400)),
    "roster_import_preview": leader_page(),
    "roster_import_confirm": leader_action(),
    "roster_export_csv": leader_page(),
    "roster_export_xlsx": leader_page(),
    "chapter_settings": leader_page(post=roles(LOGIN, 404, 403, 400, 400)),
    # Everyone's own data, whichever chapter they are in.
    "my_data": Access(get=roles(LOGIN, 200, 200, 200, 200), post=NONE_ALLOWED),
    "my_data_json": Access(get=roles(LOGIN, 200, 200, 200, 200), post=NONE_ALLOWED),
    "my_data_csv": Access(get=roles(LOGIN, 200, 200, 200, 200), post=NONE_ALLOWED),
    # Site administration: not a chapter's page, so no chapter to hide; admins only.
    "chapter_overview": Access(get=roles(LOGIN, 403, 403, 403, 200), post=NONE_ALLOWED),
    "chapter_create": Access(
        get=roles(LOGIN, 403, 403, 403, 200), post=roles(LOGIN, 403, 403, 403, 400)
    ),
    "chapter_lights": Access(get=roles(LOGIN, 404, 403, 403, 200), post=NONE_ALLOWED),
    # Referrals and the other slips (issue 4). The world's member gave the referral and the
    # president received it. A site admin holds no membership, so has no slips: 403.
    "slip_hub": Access(get=roles(LOGIN, 404, 200, 200, 403), post=NONE_ALLOWED),
    **{
        name: Access(get=roles(LOGIN, 404, 200, 200, 403), post=roles(LOGIN, 404, 400, 400, 403))
        for name in (
            "referral_new", "thank_you_new", "one_to_one_new", "ceu_new", "testimonial_new",
            "visitor_new", "profile_edit",
        )
    },
    **{
        name: Access(get=roles(LOGIN, 404, 200, 200, 403), post=NONE_ALLOWED)
        for name in (
            "referral_inbox", "referral_given", "referral_detail", "thank_you_list",
            "one_to_one_list", "member_search",
        )
    },
    # One's own slip: its author only; anyone else of the chapter gets 404 too.
    "slip_saved": Access(get=roles(LOGIN, 404, 200, 404, 403), post=NONE_ALLOWED),
    "slip_edit": Access(
        get=roles(LOGIN, 404, 200, 404, 403), post=roles(LOGIN, 404, 400, 404, 403)
    ),
    "slip_delete": Access(get=NONE_ALLOWED, post=roles(LOGIN, 404, REDIRECT, 404, 403)),
    # Only the receiver (the president here) moves a referral along.
    "referral_status": Access(get=NONE_ALLOWED, post=roles(LOGIN, 404, 403, 400, 403)),
    "slip_correct": leader_page(post=roles(LOGIN, 404, 403, 400, 400)),
    "slip_corrections": leader_page(),
    "roster": member_page(),
    "member_profile": member_page(),
}

# URL keyword -> the real value from the seeded chapter.
FILLERS = {
    "slug": lambda world: world.chapter.slug,
    "invitation_id": lambda world: world.invitation.pk,
    "token": lambda world: world.invitation.token,
    "key": lambda world: "not-a-real-key",
    "uidb36": lambda world: "zz",
    "meeting_id": lambda world: world.meeting.pk,
    "member_id": lambda world: world.member.pk,
    "visitor_id": lambda world: world.visitor.pk,
    "checkin_token": lambda world: world.meeting.checkin_token,
    "delivery_id": lambda world: _delivery(world).pk,
    "application_id": lambda world: _application(world).pk,
    "role_id": lambda world: world.president.roles.first().pk,
    "batch_id": lambda world: _roster_import(world).pk,
    "kind": lambda world: "palms",
    "slip_id": lambda world: _referral(world).pk,
    "referral_id": lambda world: _referral(world).pk,
}
# Where one keyword names different things on different pages.
FILLER_OVERRIDES = {
    **{
        (name, "kind"): lambda world: "referral"
        for name in ("slip_saved", "slip_edit", "slip_delete", "slip_correct")
    },
    ("reports_import_preview", "batch_id"): lambda world: _import_batch(world).pk,
}


def _import_batch(world: World):
    """An attendance file of the official tool, uploaded and waiting for its preview."""
    from reports.imports import batch_create

    return batch_create(
        chapter=world.chapter,
        kind="attendance",
        filename="palms.csv",
        content=f"First Name,Last Name,{world.meeting.local_date:%Y-%m-%d}\n"
        f"{world.member.user.first_name},{world.member.user.last_name},P\n".encode(),
        user=world.president.user,
    )


def _application(world: World):
    from members.models import Application

    return Application.objects.get_or_create(
        chapter=world.chapter,
        email="applicant@example.test",
        defaults={
            "first_name": "Ada",
            "last_name": "Applicant",
            "business_name": "Ada Audio",
            "classification": world.invitation.classification,
        },
    )[0]


def _roster_import(world: World):
    from members.models import RosterImport

    return RosterImport.objects.get_or_create(
        chapter=world.chapter, filename="roster.csv", defaults={"file_sha256": "0" * 64}
    )[0]


def _referral(world: World):
    """A referral from the world's member to its president, for the week being gathered."""
    import uuid

    from referrals.models import Referral
    from referrals.services import referral_log

    return Referral.objects.filter(giver=world.member).first() or referral_log(
        giver=world.member, receiver=world.president, tier="inside", temperature=3,
        token=uuid.uuid4(),
    )[0]


def _delivery(world: World):
    """A failed reminder to the world's member, for the delivery log's resend."""
    from notifications.models import Delivery, NotificationKind

    return Delivery.objects.get_or_create(
        kind=NotificationKind.REMINDER,
        chapter=world.chapter,
        meeting=world.meeting,
        member=world.member,
        defaults={"state": Delivery.State.FAILED, "last_error": "550"},
    )[0]


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
    return reverse(
        name,
        kwargs={
            keyword: FILLER_OVERRIDES.get((name, keyword), FILLERS[keyword])(world)
            for keyword in keywords
        },
    )


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
    if "id" in keywords:  # the admin's password change of a user
        kwargs["id"] = world.member.user.pk
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
def test_every_url_answers_each_role_as_declared(client, namespace, name, route, pattern,
                                                time_machine):
    # The answers declared are those outside a meeting (self check-in closed): a Monday.
    time_machine.move_to(datetime.datetime(2026, 11, 16, 12, 0, tzinfo=datetime.UTC))
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


def test_outsiders_are_never_declared_403_on_a_chapter_url():
    for _namespace, name, route, _pattern in (param.values for param in every_pattern()):
        if "<slug:slug>" in route and name in MATRIX:
            access = MATRIX[name]
            assert access.get["outsider"] != 403 and access.post["outsider"] != 403, name
