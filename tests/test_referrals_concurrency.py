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
