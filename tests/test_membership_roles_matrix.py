"""The role matrix: every membership page and action, asked by each of anonymous, a member of
another chapter, a member, the Visitor Host, a Membership Committee member, the Vice President,
the President and a site admin, gets the answer its role deserves."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from chapters.forms_admin import SETTINGS_FIELDS
from tests import factories
from tests.membership_world import ROLES, build_membership_world, roster_csv

LOGIN = "login"
REDIRECT = "redirect"


def answers(*codes) -> dict:
    return dict(zip(ROLES, codes, strict=True))


NOT_ALLOWED = answers(*(405,) * 8)
# anonymous, outsider, member, visitor host, committee, vice president, president, admin
LEADER_PAGE = answers(LOGIN, 404, 403, 403, 403, 200, 200, 200)
LEADER_ACTION = answers(LOGIN, 404, 403, 403, 403, REDIRECT, REDIRECT, REDIRECT)
ADMIN_ACTION = answers(LOGIN, 404, 403, 403, 403, 403, 403, REDIRECT)
DESK_PAGE = answers(LOGIN, 404, 403, 200, 200, 200, 200, 200)
DESK_ACTION = answers(LOGIN, 404, 403, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT)
COMMITTEE_ACTION = answers(LOGIN, 404, 403, 403, REDIRECT, REDIRECT, REDIRECT, REDIRECT)
SITE_ADMIN_PAGE = answers(LOGIN, 403, 403, 403, 403, 403, 403, 200)
SITE_ADMIN_CHAPTER_PAGE = answers(LOGIN, 404, 403, 403, 403, 403, 403, 200)
SIGNED_IN_PAGE = answers(LOGIN, 200, 200, 200, 200, 200, 200, 200)


def settings_data(chapter) -> dict:
    data = {}
    for name in SETTINGS_FIELDS:
        attribute = "traffic_light_rule_set_id" if name == "traffic_light_rule_set" else name
        value = getattr(chapter, attribute)
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, datetime.time):
            data[name] = value.strftime("%H:%M")
        elif value is not None:
            data[name] = value
    data["venue"] = "The Boathouse"
    return data


def cases(world):
    """(name, url, GET answers, POST answers, POST data) for every membership URL."""
    slug = world.chapter.slug
    target = world.target.pk
    today = timezone.localdate()

    def member_url(name, member_id=target):
        return reverse(name, args=[slug, member_id])

    def application_url(name):
        return reverse(name, args=[slug, world.application.pk])

    upload = lambda: {  # noqa: E731 - a fresh file for each request
        "file": SimpleUploadedFile(
            "roster.csv", roster_csv([["Rob", "Row", "rob@example.test", "", "Rob Ltd",
                                       "Plumbing"]]), content_type="text/csv"
        ),
        "send_emails": "on",
    }
    yield ("membership_list", reverse("membership_list", args=[slug]), LEADER_PAGE,
           NOT_ALLOWED, {})
    yield ("membership_detail", member_url("membership_detail"), LEADER_PAGE, NOT_ALLOWED, {})
    yield ("membership_renew", member_url("membership_renew"), NOT_ALLOWED, LEADER_ACTION,
           {"expected_due_on": world.target.renewal_due_on.isoformat()})
    yield ("membership_leave", member_url("membership_leave"), NOT_ALLOWED, LEADER_ACTION,
           {"starts_on": today.isoformat(),
            "ends_on": (today + datetime.timedelta(days=30)).isoformat(), "reason": "Medical"})
    yield ("membership_leave_end", member_url("membership_leave_end"), NOT_ALLOWED,
           LEADER_ACTION, {})
    yield ("membership_suspend", member_url("membership_suspend"), NOT_ALLOWED, LEADER_ACTION,
           {"suspend-reason": "Dues unpaid"})
    yield ("membership_drop", member_url("membership_drop"), NOT_ALLOWED, LEADER_ACTION,
           {"drop-reason": "Moved away"})
    yield ("membership_reinstate", member_url("membership_reinstate", world.former.pk),
           NOT_ALLOWED, LEADER_ACTION, {})
    yield ("membership_transfer", member_url("membership_transfer"), NOT_ALLOWED, ADMIN_ACTION,
           {"to_chapter": world.other_chapter.pk})
    yield ("membership_anonymise", member_url("membership_anonymise", world.former.pk),
           NOT_ALLOWED, ADMIN_ACTION, {"confirm": "on"})
    yield ("role_list", reverse("role_list", args=[slug]), LEADER_PAGE, LEADER_ACTION,
           {"member": world.member.pk, "role": "education_coordinator",
            "starts_on": today.isoformat()})
    yield ("role_end", reverse("role_end", args=[slug, world.term.pk]), NOT_ALLOWED,
           LEADER_ACTION, {})
    yield ("application_list", reverse("application_list", args=[slug]), DESK_PAGE,
           NOT_ALLOWED, {})
    yield ("application_create", reverse("application_create", args=[slug]), DESK_PAGE,
           DESK_ACTION,
           {"first_name": "Bo", "last_name": "Baker", "email": "bo@example.test",
            "business_name": "Bo's Bakes", "classification": factories.classification("Bakery").pk,
            "token": "5b3c8d0e-0000-4000-8000-000000000001"})
    yield ("application_detail", application_url("application_detail"), DESK_PAGE,
           NOT_ALLOWED, {})
    yield ("application_approve", application_url("application_approve"), NOT_ALLOWED,
           COMMITTEE_ACTION, {"approve-reason": "Great fit"})
    yield ("application_decline", application_url("application_decline"), NOT_ALLOWED,
           COMMITTEE_ACTION, {"decline-reason": "Not this time"})
    yield ("application_reclassify", application_url("application_reclassify"), NOT_ALLOWED,
           COMMITTEE_ACTION,
           {"reclassify-classification": factories.classification("Payroll").pk})
    yield ("audit_list", reverse("audit_list", args=[slug]), LEADER_PAGE, NOT_ALLOWED, {})
    yield ("roster_import_upload", reverse("roster_import_upload", args=[slug]), LEADER_PAGE,
           LEADER_ACTION, upload)
    yield ("roster_import_preview", reverse("roster_import_preview", args=[slug, world.batch.pk]),
           LEADER_PAGE, NOT_ALLOWED, {})
    yield ("roster_import_confirm", reverse("roster_import_confirm", args=[slug, world.batch.pk]),
           NOT_ALLOWED, LEADER_ACTION, {})
    yield ("roster_export_csv", reverse("roster_export_csv", args=[slug]), LEADER_PAGE,
           NOT_ALLOWED, {})
    yield ("roster_export_xlsx", reverse("roster_export_xlsx", args=[slug]), LEADER_PAGE,
           NOT_ALLOWED, {})
    yield ("my_data", reverse("my_data"), SIGNED_IN_PAGE, NOT_ALLOWED, {})
    yield ("my_data_json", reverse("my_data_json"), SIGNED_IN_PAGE, NOT_ALLOWED, {})
    yield ("my_data_csv", reverse("my_data_csv"), SIGNED_IN_PAGE, NOT_ALLOWED, {})
    yield ("chapter_settings", reverse("chapter_settings", args=[slug]), LEADER_PAGE,
           LEADER_ACTION, settings_data(world.chapter))
    yield ("chapter_overview", reverse("chapter_overview"), SITE_ADMIN_PAGE, NOT_ALLOWED, {})
    yield ("chapter_create", reverse("chapter_create"), SITE_ADMIN_PAGE,
           answers(LOGIN, 403, 403, 403, 403, 403, 403, REDIRECT),
           settings_data(world.chapter) | {"name": "Lakeside Leaders", "slug": "lakeside"})
    yield ("chapter_lights", reverse("chapter_lights", args=[slug]), SITE_ADMIN_CHAPTER_PAGE,
           NOT_ALLOWED, {})


MEMBERSHIP_URL_NAMES = {
    "membership_list", "membership_detail", "membership_renew", "membership_leave",
    "membership_leave_end", "membership_suspend", "membership_drop", "membership_reinstate",
    "membership_transfer", "membership_anonymise", "role_list", "role_end",
    "application_list", "application_create", "application_detail", "application_approve",
    "application_decline", "application_reclassify", "audit_list", "roster_import_upload",
    "roster_import_preview", "roster_import_confirm", "roster_export_csv",
    "roster_export_xlsx", "my_data", "my_data_json", "my_data_csv", "chapter_settings",
    "chapter_overview", "chapter_create", "chapter_lights",
}


def check(response, expected) -> bool:
    if expected == LOGIN:
        return response.status_code == 302 and response.url.startswith(reverse("account_login"))
    if expected == REDIRECT:
        return response.status_code == 302
    return response.status_code == expected


def test_matrix_covers_every_membership_url():
    from meetings import urls as meetings_urls
    from members import urls_membership
    from reports import urls as reports_urls
    from reports import urls_admin

    # Membership's pages, wherever their layer serves them.
    views = {"members.views_membership", "reports.views_admin", "meetings.views_applications",
             "reports.views_personal_data"}
    patterns = (urls_membership.urlpatterns + urls_admin.urlpatterns
                + meetings_urls.urlpatterns + reports_urls.urlpatterns)
    names = {p.name for p in patterns if p.callback.__module__ in views}
    assert names == MEMBERSHIP_URL_NAMES


@pytest.mark.django_db
def test_every_membership_page_and_action_answers_each_role(client):
    world = build_membership_world()
    problems = []
    seen = set()
    for name, url, get_answers, post_answers, data in cases(world):
        seen.add(name)
        for role in ROLES:
            for method, expected in (("get", get_answers[role]), ("post", post_answers[role])):
                # Each request in its own savepoint: one role's POST leaves the next unchanged.
                with transaction.atomic():
                    client.logout()
                    person = world.person(role)
                    if person is not None:
                        client.force_login(person)
                    payload = data() if callable(data) else data
                    response = getattr(client, method)(url, payload if method == "post" else None)
                    transaction.set_rollback(True)
                if not check(response, expected):
                    problems.append(
                        f"{method.upper()} {name} as {role}: expected {expected}, "
                        f"got {response.status_code}"
                    )
                if role == "outsider" and response.status_code == 404:
                    assert world.chapter.name.encode() not in response.content
    assert seen == MEMBERSHIP_URL_NAMES
    assert problems == [], "\n".join(problems)
