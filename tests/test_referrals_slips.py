"""The other slips (TYFCB, one-to-ones, CEUs, testimonials, visitors) and corrections: members edit
or delete their own slips while the week is a draft; after that a leader corrects, on record."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings.models import Meeting, Visitor
from referrals import models as slip_models
from referrals.models import CEU, OneToOne, Referral, SlipCorrection, ThankYou
from tests import factories
from tests.referrals_world import complete, one_of_each, open_week, referral

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(chapter):
    return factories.member(chapter, first_name="Cora", last_name="Colleague")


@pytest.fixture
def week(chapter):
    return open_week(chapter)


def token():
    return str(uuid.uuid4())


def today(chapter):
    return timezone.now().astimezone(chapter.zone).date()


def test_a_tyfcb_on_its_own(client_for, chapter, member, colleague, week):
    response = client_for(member).post(
        reverse("thank_you_new", args=[chapter.slug]),
        {"credited_to": colleague.pk, "amount": "350", "business_type": "new", "token": token()},
    )
    assert response.status_code == 302
    thank_you = ThankYou.objects.get()
    assert (thank_you.thanked_by, thank_you.credited_to, thank_you.amount) == (
        member, colleague, Decimal("350"),
    )
    assert thank_you.referral is None


def test_a_tyfcb_amount_cannot_be_negative_and_the_form_keeps_the_input(
    client_for, chapter, member, colleague, week
):
    page = client_for(member).post(
        reverse("thank_you_new", args=[chapter.slug]),
        {"credited_to": colleague.pk, "amount": "-1", "business_type": "repeat",
         "notes": "Kitchen job", "token": token()},
    )
    text = page.content.decode()
    assert page.status_code == 400 and ThankYou.objects.count() == 0
    assert "greater than or equal to 0" in text
    assert "Kitchen job" in text
    assert 'value="repeat" required id="id_business_type_1" checked' in text


def test_a_one_to_one_is_seen_by_both_members(client_for, chapter, member, colleague, week):
    response = client_for(member).post(
        reverse("one_to_one_new", args=[chapter.slug]),
        {"met_with": colleague.pk, "met_on": today(chapter).isoformat(),
         "location": "Riverside Cafe", "notes": "Learnt about roofing", "token": token()},
    )
    assert response.status_code == 302
    one_to_one = OneToOne.objects.get()
    assert (one_to_one.member, one_to_one.met_with, one_to_one.meeting) == (
        member, colleague, week,
    )
    for person in (member, colleague):
        page = client_for(person).get(reverse("one_to_one_list", args=[chapter.slug]))
        assert "Riverside Cafe" in page.content.decode()


def test_a_one_to_one_in_the_future_is_refused(client_for, chapter, member, colleague, week):
    page = client_for(member).post(
        reverse("one_to_one_new", args=[chapter.slug]),
        {"met_with": colleague.pk, "met_on": (today(chapter) + datetime.timedelta(days=3))
         .isoformat(), "token": token()},
    )
    assert page.status_code == 400
    assert "once it has happened" in page.content.decode()


def test_a_ceu_and_a_testimonial(client_for, chapter, member, colleague, week):
    client = client_for(member)
    assert client.post(
        reverse("ceu_new", args=[chapter.slug]),
        {"description": "Education moment: follow-up", "credits": "2",
         "earned_on": today(chapter).isoformat(), "token": token()},
    ).status_code == 302
    assert client.post(
        reverse("testimonial_new", args=[chapter.slug]),
        {"about": colleague.pk, "text": "Cora fixed our roof in a day.", "token": token()},
    ).status_code == 302
    assert CEU.objects.get().credits == 2
    assert slip_models.Testimonial.objects.get().about == colleague


def test_a_testimonial_is_about_a_member_of_ones_own_chapter(
    client_for, chapter, member, other_member, week
):
    page = client_for(member).post(
        reverse("testimonial_new", args=[chapter.slug]),
        {"about": other_member.pk, "text": "Great.", "token": token()},
    )
    assert page.status_code == 400 and slip_models.Testimonial.objects.count() == 0


def test_registering_a_visitor_for_a_coming_meeting(client_for, chapter, member, week):
    page = client_for(member).get(reverse("visitor_new", args=[chapter.slug])).content.decode()
    assert f'<option value="{week.pk}" selected>' in page
    response = client_for(member).post(
        reverse("visitor_new", args=[chapter.slug]),
        {"meeting": week.pk, "name": "Vera Visitor", "company": "Vera Ltd",
         "classification_text": "Florist", "email": "vera@example.test", "token": token()},
    )
    assert response.status_code == 302
    visitor = Visitor.objects.get()
    assert (visitor.invited_by, visitor.meeting, visitor.created_by) == (
        member, week, member.user,
    )


def test_a_visitor_cannot_be_registered_for_a_past_cancelled_or_other_chapters_meeting(
    client_for, chapter, member, other_chapter, week
):
    past = factories.meeting(chapter, today(chapter) - datetime.timedelta(days=7))
    cancelled = factories.meeting(
        chapter, week.local_date + datetime.timedelta(days=7), status=Meeting.Status.CANCELLED
    )
    theirs = factories.meeting(other_chapter)
    for meeting in (past, cancelled, theirs):
        page = client_for(member).post(
            reverse("visitor_new", args=[chapter.slug]),
            {"meeting": meeting.pk, "name": "Vera", "email": "vera@example.test",
             "token": token()},
        )
        assert page.status_code == 400
    assert Visitor.objects.count() == 0


def test_a_visitor_needs_an_email_or_phone(client_for, chapter, member, week):
    page = client_for(member).post(
        reverse("visitor_new", args=[chapter.slug]),
        {"meeting": week.pk, "name": "Vera Visitor", "token": token()},
    )
    assert page.status_code == 400
    assert "Vera Visitor" in page.content.decode()


def test_my_slips_lists_every_kind_with_edit_and_delete(
    client_for, chapter, member, colleague, week
):
    one_of_each(member, colleague)
    page = client_for(member).get(reverse("slip_hub", args=[chapter.slug])).content.decode()
    for label in ("Referral", "TYFCB", "One-to-one", "CEU", "Testimonial", "Visitor"):
        assert f'<span class="badge badge-kind">{label}</span>' in page
    assert page.count(">Edit<") == 6


@pytest.mark.parametrize(
    ("kind", "changes", "field", "expected"),
    [
        ("referral", {"tier": "outside", "prospect_name": "Sam", "prospect_phone": "1",
                      "temperature": "5"}, "temperature", 5),
        ("thank-you", {"amount": "99.50", "business_type": "repeat"}, "amount", Decimal("99.50")),
        ("one-to-one", {"met_on": "", "location": "Zoom"}, "location", "Zoom"),
        ("ceu", {"description": "Webinar", "credits": "3", "earned_on": ""}, "credits", 3),
        ("testimonial", {"text": "Even better."}, "text", "Even better."),
        ("visitor", {"name": "Vera V.", "phone": "0123"}, "name", "Vera V."),
    ],
)
def test_a_member_edits_their_own_slip_while_the_week_is_a_draft(
    client_for, chapter, member, colleague, week, kind, changes, field, expected
):
    slip = one_of_each(member, colleague)[kind]
    for name in ("met_on", "earned_on"):
        if changes.get(name) == "":
            changes[name] = today(chapter).isoformat()
    response = client_for(member).post(
        reverse("slip_edit", args=[chapter.slug, kind, slip.pk]), changes
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    slip.refresh_from_db()
    assert getattr(slip, field) == expected


def test_an_edit_with_errors_re_renders_with_what_was_typed(
    client_for, chapter, member, colleague, week
):
    slip = referral(member, colleague)
    page = client_for(member).post(
        reverse("slip_edit", args=[chapter.slug, "referral", slip.pk]),
        {"tier": "outside", "prospect_name": "", "prospect_phone": "", "temperature": "2",
         "notes": "Remember me"},
    )
    assert page.status_code == 400
    assert "Remember me" in page.content.decode()


def test_a_member_deletes_a_duplicate(client_for, chapter, member, colleague, week):
    first, duplicate = referral(member, colleague), referral(member, colleague)
    response = client_for(member).post(
        reverse("slip_delete", args=[chapter.slug, "referral", duplicate.pk])
    )
    assert response.status_code == 302
    assert list(Referral.objects.all()) == [first]


def test_other_members_cannot_edit_or_delete_my_slips(
    client_for, chapter, member, colleague, president, week
):
    slips = one_of_each(member, colleague)
    for kind, slip in slips.items():
        for person in (colleague, president):
            client = client_for(person)
            assert client.get(
                reverse("slip_edit", args=[chapter.slug, kind, slip.pk])
            ).status_code == 404
            assert client.post(
                reverse("slip_delete", args=[chapter.slug, kind, slip.pk])
            ).status_code == 404
    assert Referral.objects.count() == 1


def test_slips_of_a_completed_week_are_locked_for_their_author(
    client_for, chapter, member, colleague, week
):
    slips = one_of_each(member, colleague)
    complete(week)
    client = client_for(member)
    for kind, slip in slips.items():
        page = client.get(reverse("slip_edit", args=[chapter.slug, kind, slip.pk]))
        assert "This slip is locked" in page.content.decode()
        client.post(reverse("slip_delete", args=[chapter.slug, kind, slip.pk]))
    assert Referral.objects.count() == CEU.objects.count() == Visitor.objects.count() == 1
    hub = client.get(reverse("slip_hub", args=[chapter.slug])).content.decode()
    assert hub.count("Locked: a leader can correct it.") == 6


def test_a_slip_across_chapters_locks_when_either_week_is_completed(
    client_for, chapter, member, other_chapter, week
):
    their_week = open_week(other_chapter)
    outsider = factories.member(other_chapter)
    slip = referral(member, outsider)
    complete(their_week)
    client_for(member).post(reverse("slip_delete", args=[chapter.slug, "referral", slip.pk]))
    assert Referral.objects.filter(pk=slip.pk).exists()


def test_a_leader_corrects_a_locked_slip_with_a_reason_and_it_is_recorded(
    client_for, chapter, member, colleague, president, week
):
    slip = referral(member, colleague)
    complete(week)
    url = reverse("slip_correct", args=[chapter.slug, "referral", slip.pk])
    client = client_for(president)
    assert client.get(url).status_code == 200
    data = {"tier": "outside", "prospect_name": "Pat Prospect", "prospect_phone": "999",
            "temperature": "1", "notes": "", "action": "edit"}
    no_reason = client.post(url, data)
    assert no_reason.status_code == 400
    assert client.post(url, {**data, "reason": "Wrong number on the slip"}).status_code == 302
    slip.refresh_from_db()
    correction = SlipCorrection.objects.get()
    assert slip.prospect_phone == "999" and slip.temperature == 1
    assert (correction.slip_type, correction.slip_id, correction.meeting) == (
        "referral", slip.pk, week,
    )
    assert correction.changed_by == president.user
    assert correction.reason == "Wrong number on the slip"
    assert correction.before == {"prospect_phone": "+44 20 7946 0000", "temperature": 3}
    assert correction.after == {"prospect_phone": "999", "temperature": 1}
    log = client.get(reverse("slip_corrections", args=[chapter.slug])).content.decode()
    assert "Wrong number on the slip" in log and "+44 20 7946 0000 → 999" in log


def test_a_leader_removes_a_slip_and_the_record_keeps_what_it_said(
    client_for, chapter, member, colleague, vice_president, week
):
    slip = one_of_each(member, colleague)["thank-you"]
    complete(week)
    response = client_for(vice_president).post(
        reverse("slip_correct", args=[chapter.slug, "thank-you", slip.pk]),
        {"action": "delete", "reason": "Logged twice"},
    )
    assert response.status_code == 302
    assert not ThankYou.objects.exists()
    correction = SlipCorrection.objects.get()
    assert correction.action == "deleted" and correction.before["amount"] == "120.00"


def test_a_correction_that_changes_nothing_is_refused(
    client_for, chapter, member, colleague, president, week
):
    slip = one_of_each(member, colleague)["ceu"]
    page = client_for(president).post(
        reverse("slip_correct", args=[chapter.slug, "ceu", slip.pk]),
        {"description": slip.description, "credits": "1", "earned_on": slip.earned_on
         .isoformat(), "reason": "Checking", "action": "edit"},
    )
    assert page.status_code == 400 and "Nothing was changed" in page.content.decode()
    assert not SlipCorrection.objects.exists()


def test_members_who_are_not_leaders_cannot_correct(
    client_for, chapter, member, colleague, week
):
    slips = one_of_each(member, colleague)
    complete(week)
    for kind, slip in slips.items():
        url = reverse("slip_correct", args=[chapter.slug, kind, slip.pk])
        for person in (member, colleague):
            assert client_for(person).get(url).status_code == 403
            assert client_for(person).post(
                url, {"action": "delete", "reason": "Mine"}
            ).status_code == 403
    assert client_for(member).get(
        reverse("slip_corrections", args=[chapter.slug])
    ).status_code == 403
    assert Referral.objects.count() == 1 and not SlipCorrection.objects.exists()


def test_leaders_find_a_weeks_slips_to_correct(
    client_for, chapter, member, colleague, president, week
):
    one_of_each(member, colleague)
    page = client_for(president).get(
        reverse("slip_corrections", args=[chapter.slug]), {"meeting": week.pk}
    ).content.decode()
    assert page.count(">Correct<") == 6


def test_unknown_slip_kinds_are_404(client_for, chapter, member, colleague, week):
    slip = referral(member, colleague)
    assert client_for(member).get(
        reverse("slip_edit", args=[chapter.slug, "nonsense", slip.pk])
    ).status_code == 404


@pytest.mark.parametrize("kind", ["thank-you", "one-to-one", "ceu", "testimonial", "visitor"])
def test_every_slip_form_sent_twice_stores_one_slip(client_for, chapter, member, colleague, week,
                                                   kind):
    url, data = {
        "thank-you": ("thank_you_new", {"credited_to": colleague.pk, "amount": "5",
                                        "business_type": "new"}),
        "one-to-one": ("one_to_one_new", {"met_with": colleague.pk,
                                          "met_on": today(chapter).isoformat()}),
        "ceu": ("ceu_new", {"description": "Webinar", "credits": "1",
                            "earned_on": today(chapter).isoformat()}),
        "testimonial": ("testimonial_new", {"about": colleague.pk, "text": "Great"}),
        "visitor": ("visitor_new", {"meeting": week.pk, "name": "Vi", "phone": "0123"}),
    }[kind]
    data["token"] = token()
    client = client_for(member)
    first = client.post(reverse(url, args=[chapter.slug]), data)
    second = client.post(reverse(url, args=[chapter.slug]), data)
    assert first.status_code == second.status_code == 302
    assert first.url == second.url
    from referrals.slips import KINDS

    assert KINDS[kind].model.objects.count() == 1
