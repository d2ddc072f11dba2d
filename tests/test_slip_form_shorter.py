"""A shorter slip form: the last receiver and tier are remembered, optional fields are folded,
and notes have a limit people understand (2,000 characters) that loses nothing typed."""

import uuid

import pytest
from django.urls import reverse

from referrals.models import OneToOne, Referral
from tests import factories
from tests.referrals_world import open_week, referral

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver(chapter):
    return factories.member(chapter, first_name="Rita", last_name="Roofer")


def referral_data(receiver, **fields):
    return {"receiver": receiver.pk, "tier": "inside", "temperature": "3",
            "token": str(uuid.uuid4()), **fields}


def test_a_note_longer_than_2000_characters_is_refused_and_kept(client_for, chapter, member,
                                                             receiver):
    open_week(chapter)
    note = " ".join(["Call after nine."] * 600)  # 10,199 characters
    response = client_for(member).post(reverse("referral_new", args=[chapter.slug]),
                                       referral_data(receiver, notes=note))
    assert response.status_code == 400
    page = response.text
    assert "Keep it to 2,000 characters: this has 10199." in page
    assert note in page  # what was typed comes back to be shortened
    assert '<details class="slip-more" open>' in page  # the folded field opens on its error
    assert not Referral.objects.exists()


def test_a_note_of_exactly_2000_characters_is_stored(client_for, chapter, member, receiver):
    open_week(chapter)
    response = client_for(member).post(reverse("referral_new", args=[chapter.slug]),
                                       referral_data(receiver, notes="x" * 2000))
    assert response.status_code == 302
    assert len(Referral.objects.get().notes) == 2000


def test_a_one_to_one_note_has_the_same_limit(client_for, chapter, member, receiver):
    open_week(chapter)
    response = client_for(member).post(reverse("one_to_one_new", args=[chapter.slug]), {
        "met_with": receiver.pk, "met_on": "2026-11-16", "notes": "y" * 2001,
        "token": str(uuid.uuid4()),
    })
    assert response.status_code == 400
    assert "Keep it to 2,000 characters: this has 2001." in response.text
    assert not OneToOne.objects.exists()


def test_the_last_receiver_and_tier_are_remembered(client_for, chapter, member, receiver):
    open_week(chapter)
    factories.member(chapter, first_name="Other", last_name="Person")
    referral(member, receiver, tier="outside", prospect_name="Pat", prospect_phone="1")
    form = client_for(member).get(reverse("referral_new", args=[chapter.slug])).context["form"]
    assert form["receiver"].value() == receiver.pk
    assert form["tier"].value() == "outside"


def test_a_first_referral_starts_inside_with_no_receiver(client_for, chapter, member, receiver):
    open_week(chapter)
    page = client_for(member).get(reverse("referral_new", args=[chapter.slug]))
    form = page.context["form"]
    assert form["receiver"].value() in (None, "")
    assert form["tier"].value() == "inside"
    # Notes wait under "More details", closed.
    assert '<details class="slip-more">' in page.text
    assert page.text.index("More details") < page.text.index('name="notes"')


def test_the_thank_you_form_asks_in_plain_words(client_for, chapter, member, receiver):
    open_week(chapter)
    page = client_for(member).get(reverse("thank_you_new", args=[chapter.slug])).text
    assert "Who passed you the business?" in page
    assert "Find who do you thank" not in page
