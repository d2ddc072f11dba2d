"""Every slip form, the status form, the leaders' correction and the profile, driven by Hypothesis
with hostile input (the project's form fuzzer): never a 500, never unescaped script, and a
refused form shows again what was typed."""

import pytest
from django.urls import reverse

from tests.referrals_world import one_of_each
from tests.test_form_fuzzing import fuzz_page
from tests.world import build_world

pytestmark = pytest.mark.django_db


def _slip(kind):
    return lambda w, s: reverse("slip_edit", args=[w.chapter.slug, kind, s[kind].pk])


PAGES = [
    ("referral", lambda w, s: reverse("referral_new", args=[w.chapter.slug]), "member"),
    ("thank-you", lambda w, s: reverse("thank_you_new", args=[w.chapter.slug]), "member"),
    ("thank-you-for-referral", lambda w, s: reverse("thank_you_new", args=[w.chapter.slug])
     + f"?referral={s['received'].pk}", "member"),
    ("one-to-one", lambda w, s: reverse("one_to_one_new", args=[w.chapter.slug]), "member"),
    ("ceu", lambda w, s: reverse("ceu_new", args=[w.chapter.slug]), "member"),
    ("testimonial", lambda w, s: reverse("testimonial_new", args=[w.chapter.slug]), "member"),
    ("visitor", lambda w, s: reverse("visitor_new", args=[w.chapter.slug]), "member"),
    ("status", lambda w, s: reverse("referral_detail", args=[w.chapter.slug, s["received"].pk]),
     "member"),
    *[(f"edit-{kind}", _slip(kind), "member")
      for kind in ("referral", "thank-you", "one-to-one", "ceu", "testimonial", "visitor")],
    ("correct", lambda w, s: reverse("slip_correct", args=[w.chapter.slug, "thank-you",
                                                          s["thank-you"].pk]), "leader"),
    ("profile", lambda w, s: reverse("profile_edit", args=[w.chapter.slug]), "member"),
]


@pytest.mark.parametrize(("page_id", "url_for", "role"), PAGES, ids=[p[0] for p in PAGES])
def test_every_referrals_form_survives_hostile_input(client, page_id, url_for, role):
    world = build_world()
    slips = one_of_each(world.member, world.vice_president)
    slips["received"] = one_of_each(world.vice_president, world.member)["referral"]
    page_url = url_for(world, slips)
    client.force_login({"member": world.member, "leader": world.president}[role].user)
    fuzz_page(
        client, page_url, shown_on=[page_url, reverse("slip_hub", args=[world.chapter.slug])],
        examples=25,
    )
