"""The back office in words: the audit trail tells what happened in a sentence, with names and
labels instead of field names and codes; every model has a correct plural name; assigning a
role starts with no role chosen; the roles table fits a phone."""

import datetime

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from members import membership
from members.models import AuditEntry, LeadershipRole, Role
from tests import factories
from tests.conftest import browser_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def ana(chapter):
    return factories.member(chapter, first_name="Ana", last_name="Lima")


@pytest.fixture
def bob(chapter):
    return factories.member(chapter, roles=(Role.PRESIDENT,), first_name="Bob",
                            last_name="Reyes")


def test_a_role_reads_as_a_sentence_with_who_did_it(client_for, chapter, ana, bob):
    starts = datetime.date(2026, 12, 2)
    membership.role_assign(member=ana, role=Role.EDUCATION_COORDINATOR, starts_on=starts,
                           ends_on=None, by=bob.user)
    page = client_for(bob).get(reverse("audit_list", args=[chapter.slug])).text
    assert "Ana Lima became Education Coordinator from 2 Dec 2026</a>, by Bob Reyes." in page
    assert "education_coordinator" not in page
    assert "starts_on" not in page and "2026-12-02" not in page


def test_before_and_after_are_in_words(chapter, ana, bob):
    membership.membership_suspend(member=ana, by=bob.user, reason="Dues unpaid")
    entry = AuditEntry.objects.get(action=AuditEntry.Action.SUSPENDED)
    assert entry.sentence() == "Ana Lima: Suspended: Dues unpaid"
    assert ("Status", "Active", "Suspended") in entry.changes()


def test_an_ended_term_reads_as_a_sentence(chapter, ana, bob):
    membership.role_assign(member=ana, role=Role.VISITOR_HOST,
                           starts_on=timezone.localdate() - datetime.timedelta(days=30),
                           ends_on=None, by=bob.user)
    membership.role_end(term=LeadershipRole.objects.get(member=ana), by=bob.user)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.ROLE_ENDED)
    assert entry.sentence().startswith("Ana Lima's term as Visitor Host ended")


def test_every_model_has_a_correct_plural_name():
    names = {model._meta.label: (str(model._meta.verbose_name),
                                 str(model._meta.verbose_name_plural))
             for model in apps.get_models()}
    assert names["reports.ImportBatch"][1] == "import batches"
    assert names["referrals.ThankYou"][1] == "thank-yous for closed business"
    # Django's default plural adds an "s": wrong after s, ch, sh and x ("batchs", "businesss").
    wrong = [label for label, (name, plural) in names.items()
             if plural == name + "s" and name.endswith(("s", "ch", "sh", "x"))]
    assert wrong == []


def test_the_back_office_index_says_the_plurals(client_for, admin_user):
    page = client_for(admin_user).get(reverse("admin:index")).text
    assert "Import batches" in page and "Thank-yous for closed business" in page
    assert "batchs" not in page and "businesss" not in page


def test_assign_a_role_starts_with_no_role_chosen(client_for, chapter, ana, bob):
    client = client_for(bob)
    page = client.get(reverse("role_list", args=[chapter.slug])).text
    assert '<option value="" selected>Choose a role…</option>' in page
    response = client.post(reverse("role_list", args=[chapter.slug]), {
        "member": ana.pk, "role": "", "starts_on": "2026-12-02",
    })
    assert response.status_code == 400
    assert "This field is required." in response.text
    assert not LeadershipRole.objects.filter(member=ana).exists()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_roles_table_fits_a_phone(browser_page, chapter, ana, bob):
    membership.role_assign(member=ana, role=Role.GROWTH_COORDINATOR,
                           starts_on=timezone.localdate(), ends_on=timezone.localdate()
                           + datetime.timedelta(days=180), by=bob.user)
    page = browser_page
    browser_login(page, bob.user.email)
    page.goto(reverse("role_list", args=[chapter.slug]))
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    for button in page.get_by_role("button", name="End term").all():
        box = button.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375 and box["height"] >= 44
    # Each date is whole on its line, never one word a line.
    for date in page.locator(".role-table .nowrap").all():
        assert date.bounding_box()["height"] < 30
