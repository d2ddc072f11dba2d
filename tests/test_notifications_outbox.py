"""One outbox for every kind of email: owed in the transaction of the action that causes it,
queued once that commits, swept up when the broker lost it, and shown to leaders."""

import datetime
import smtplib

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from kombu.exceptions import OperationalError

from members import invitations as services
from notifications import outbox as notifications
from notifications.models import Delivery, NotificationKind
from notifications.outbox import notifications_send
from referrals import services as referrals
from referrals.models import GiverNotice
from tests import factories
from tests.referrals_world import open_week, referral


@pytest.fixture
def slip(chapter, member):
    open_week(chapter)
    return referral(member, factories.member(chapter, first_name="Rita", last_name="Roofer"))


def giver_emails():
    return [message for message in mail.outbox
            if message.extra_headers["X-Chapterhouse-Kind"] == NotificationKind.REFERRAL_NEWS]


def test_an_email_is_owed_with_the_change_or_not_at_all(slip):
    with pytest.raises(RuntimeError), transaction.atomic():
        referrals.referral_status_change(referral=slip, by=slip.receiver, status="contacted")
        assert Delivery.objects.filter(kind=NotificationKind.REFERRAL_NEWS).exists()
        raise RuntimeError("the request failed after the change")
    assert not GiverNotice.objects.exists()
    assert not Delivery.objects.exists()


def test_a_broker_outage_delays_an_email_and_loses_none(
    slip, member, monkeypatch, time_machine, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(notifications_send, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        referrals.referral_status_change(referral=slip, by=slip.receiver, status="contacted")
    # The change stands; its email waits in the outbox.
    slip.refresh_from_db()
    assert slip.status == "contacted"
    (email,) = Delivery.objects.filter(kind=NotificationKind.REFERRAL_NEWS)
    assert email.state == Delivery.State.PENDING and giver_emails() == []
    # The broker is back; the dispatcher's next ticks send what waited, once.
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        notifications.dispatch()
    assert giver_emails() == []  # not yet: it may still be in a queue
    time_machine.shift(datetime.timedelta(minutes=6))
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            notifications.dispatch()
    assert [message.to for message in giver_emails()] == [[member.user.email]]
    email.refresh_from_db()
    assert email.state == Delivery.State.SENT


def test_an_invitation_is_owed_to_its_address_and_sent_once(
    chapter, president, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.invitation_create(
            chapter=chapter, email="New.Person@example.test", first_name="Nia",
            last_name="New", classification=factories.classification("Florist"),
            business_name="Nia's Flowers", invited_by=president.user,
        )
    (email,) = Delivery.objects.filter(kind=NotificationKind.INVITATION)
    assert (email.ref, email.member, email.state) == (invitation.pk, None, Delivery.State.SENT)
    (message,) = mail.outbox
    assert message.to == ["new.person@example.test"]
    assert "List-Unsubscribe" not in message.extra_headers  # nothing to turn off
    assert f"http://127.0.0.1:8000/join/{invitation.token}/" in message.body
    assert notifications.delivery_send(delivery_id=email.pk) == ""


def test_a_permanent_refusal_is_recorded_with_its_reason(slip, monkeypatch):
    referrals.referral_status_change(referral=slip, by=slip.receiver, status="contacted")
    (email,) = Delivery.objects.filter(kind=NotificationKind.REFERRAL_NEWS)

    class Refusing:
        def open(self):
            return True

        def send_messages(self, messages):
            raise smtplib.SMTPRecipientsRefused(
                {messages[0].to[0]: (550, b"5.1.1 No such mailbox")})

        def close(self):
            pass

    monkeypatch.setattr(notifications.mailers.__class__, "default",
                        property(lambda self: Refusing()))
    assert notifications.delivery_send(delivery_id=email.pk) == Delivery.State.FAILED
    email.refresh_from_db()
    assert email.state == Delivery.State.FAILED and email.sent_at is None
    assert "550" in email.last_error and "No such mailbox" in email.last_error


def test_the_email_log_shows_every_kind_with_its_state_and_why(
    chapter, president, member, slip, client_for, monkeypatch
):
    services.invitation_create(
        chapter=chapter, email="nia@example.test", first_name="Nia", last_name="New",
        classification=factories.classification("Florist"), business_name="Nia's Flowers",
        invited_by=president.user,
    )
    referrals.referral_status_change(referral=slip, by=slip.receiver, status="contacted")
    invitation = Delivery.objects.get(kind=NotificationKind.INVITATION)
    giver = Delivery.objects.get(kind=NotificationKind.REFERRAL_NEWS)
    assert notifications.delivery_send(delivery_id=invitation.pk) == Delivery.State.SENT
    Delivery.objects.filter(pk=giver.pk).update(
        state=Delivery.State.FAILED, last_error="SMTPRecipientsRefused: 550 No such mailbox")
    page = client_for(president).get(reverse("delivery_log", args=[chapter.slug]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Invitation" in text and "nia@example.test" in text
    assert "Referral news" in text and member.full_name in text
    assert "550 No such mailbox" in text
    assert "Sent" in text and "Failed" in text
    waiting = client_for(president).get(
        reverse("delivery_log", args=[chapter.slug]), {"state": "pending"})
    assert "Waiting to send" in waiting.content.decode()
    # Members do not see it.
    assert client_for(member).get(
        reverse("delivery_log", args=[chapter.slug])).status_code in (403, 404)


def test_only_a_kind_a_member_can_turn_off_carries_list_unsubscribe(
    chapter, member, django_capture_on_commit_callbacks
):
    row = notifications.enqueue(kind=NotificationKind.WELCOME, ref=member.pk,
                                chapter_id=chapter.pk, member_id=member.pk)
    assert notifications.enqueue(kind=NotificationKind.WELCOME, ref=member.pk,
                                 chapter_id=chapter.pk, member_id=member.pk) is None
    assert notifications.delivery_send(delivery_id=row) == Delivery.State.SENT
    (message,) = mail.outbox
    assert "List-Unsubscribe" not in message.extra_headers
    assert message.extra_headers["Message-ID"] == f"<chapterhouse.welcome.{member.pk}@127.0.0.1>"
