"""The same slip form arriving several times at once (double tap, a retrying proxy) stores one
slip: the unique token column decides. Needs PostgreSQL: SQLite serialises writers anyway."""

import threading
import uuid

import pytest
from django.db import connection, connections

from referrals import services
from referrals.models import Referral
from tests import factories
from tests.referrals_world import open_week

pytestmark = pytest.mark.django_db(transaction=True)

ATTEMPTS = 6


def test_simultaneous_submissions_of_one_form_store_one_referral(chapter, member):
    if connection.vendor != "postgresql":
        pytest.skip("Concurrent inserts need PostgreSQL (DATABASE_URL=postgres://...).")
    open_week(chapter)
    receiver = factories.member(chapter)
    token = uuid.uuid4()
    start = threading.Barrier(ATTEMPTS)
    results, errors = [], []

    def submit():
        try:
            start.wait()
            referral, _ = services.referral_log(
                giver=member, receiver=receiver, tier="outside", temperature=3,
                prospect_name="Pat", prospect_phone="123", token=token,
            )
            results.append(referral.pk)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(ATTEMPTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Referral.objects.count() == 1
    assert set(results) == {Referral.objects.get().pk}


PARALLEL = 50


def post_slips(chapter, giver, receiver, tokens) -> list[int]:
    """Post the referral form once per token, all at the same moment, as the browser would."""
    from django.test import Client
    from django.urls import reverse

    url = reverse("referral_new", args=[chapter.slug])
    start = threading.Barrier(len(tokens))
    statuses, errors = [], []

    def submit(token):
        client = Client()
        client.force_login(giver.user)
        try:
            start.wait(timeout=30)
            response = client.post(url, {
                "receiver": receiver.pk, "tier": "inside", "temperature": "4",
                "notes": "Needs a new roof", "token": str(token),
            })
            statuses.append(response.status_code)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    return statuses


def test_fifty_parallel_slip_submissions_store_fifty_slips(chapter, member):
    if connection.vendor != "postgresql":
        pytest.skip("Concurrent inserts need PostgreSQL (DATABASE_URL=postgres://...).")
    open_week(chapter)
    receiver = factories.member(chapter)
    statuses = post_slips(chapter, member, receiver, [uuid.uuid4() for _ in range(PARALLEL)])
    assert len(statuses) == PARALLEL and all(status < 400 for status in statuses)
    assert Referral.objects.filter(giver=member, receiver=receiver).count() == PARALLEL


def test_one_form_submitted_many_times_at_once_stores_one_slip(chapter, member):
    if connection.vendor != "postgresql":
        pytest.skip("Concurrent inserts need PostgreSQL (DATABASE_URL=postgres://...).")
    open_week(chapter)
    receiver = factories.member(chapter)
    token = uuid.uuid4()
    statuses = post_slips(chapter, member, receiver, [token] * 10)
    assert all(status < 400 for status in statuses)
    assert Referral.objects.filter(giver=member, receiver=receiver).count() == 1
