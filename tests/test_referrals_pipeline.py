"""The referral pipeline: the receiver moves a referral along, closing it records the TYFCB, and
the giver is emailed (after the change commits) on every change and when thanked."""

import uuid
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from notifications import outbox as notifications
from notifications import tasks
from notifications.models import Delivery, NotificationKind
from referrals import services
from referrals.models import GiverNotice, Referral, ThankYou
from tests import factories
from tests.referrals_world import open_week, referral

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver(chapter):
    return factories.member(chapter, first_name="Rita", last_name="Roofer")


@pytest.fixture
def slip(chapter, member, receiver):
    open_week(chapter)
    return referral(member, receiver)


def status_url(chapter, slip):
    return reverse("referral_status", args=[chapter.slug, slip.pk])


def test_the_receivers_inbox_lists_referrals_waiting_for_action(
    client_for, chapter, member, receiver, slip
):
    page = client_for(receiver).get(reverse("referral_inbox", args=[chapter.slug]))
    text = page.content.decode()
    assert "Pat Prospect" in text and member.full_name in text and "Update status" in text
    assert "Pat Prospect" not in client_for(member).get(
        reverse("referral_inbox", args=[chapter.slug])
    ).content.decode()


def test_the_receiver_moves_a_referral_along_and_the_giver_is_emailed_each_time(
    client_for, chapter, member, receiver, slip, django_capture_on_commit_callbacks
):
    client = client_for(receiver)
    for status, label in (("contacted", "Contacted"), ("meeting_booked", "Meeting booked")):
        sent = len(mail.outbox)
        with django_capture_on_commit_callbacks() as callbacks:
            response = client.post(status_url(chapter, slip), {"status": status})
        assert response.status_code == 302
        assert len(mail.outbox) == sent  # the email is queued only once the change commits
        for callback in callbacks:
            callback()
        slip.refresh_from_db()
        assert slip.status == status
        message = mail.outbox[-1]
        assert message.to == [member.user.email]
        assert label in message.subject
        assert "Pat Prospect" in message.body
        assert reverse("referral_detail", args=[chapter.slug, slip.pk]) in message.body
        assert message.alternatives[0][1] == "text/html"
    assert len(mail.outbox) == 2


def test_closing_won_records_the_tyfcb_for_the_giver_who_sees_it_closed_and_thanked(
    client_for, chapter, member, receiver, slip, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(receiver).post(
            status_url(chapter, slip),
            {"status": "closed_won", "amount": "2500.00", "business_type": "new"},
        )
    slip.refresh_from_db()
    thank_you = ThankYou.objects.get()
    assert slip.status == Referral.Status.CLOSED_WON
    assert (thank_you.thanked_by, thank_you.credited_to, thank_you.amount) == (
        receiver, member, Decimal("2500.00"),
    )
    assert thank_you.referral == slip
    assert len(mail.outbox) == 1
    assert "Closed: won" in mail.outbox[0].subject
    assert "2,500.00" in mail.outbox[0].body
    given = client_for(member).get(reverse("referral_given", args=[chapter.slug])).content.decode()
    assert "Closed: won" in given and "Thanked: GBP 2,500.00" in given


def test_a_double_clicked_close_records_one_tyfcb_and_one_email(
    client_for, chapter, member, receiver, slip, django_capture_on_commit_callbacks
):
    data = {"status": "closed_won", "amount": "100", "business_type": "repeat"}
    with django_capture_on_commit_callbacks(execute=True):
        first = client_for(receiver).post(status_url(chapter, slip), data)
        second = client_for(receiver).post(status_url(chapter, slip), data)
    assert first.status_code == second.status_code == 302
    assert ThankYou.objects.count() == 1
    assert len(mail.outbox) == 1


def test_closing_won_needs_an_amount_of_zero_or_more(
    client_for, chapter, receiver, slip
):
    for amount in ("", "-5", "lots"):
        page = client_for(receiver).post(
            status_url(chapter, slip), {"status": "closed_won", "amount": amount}
        )
        assert page.status_code == 400
        assert 'name="amount"' in page.content.decode()
    slip.refresh_from_db()
    assert slip.status == Referral.Status.GIVEN and ThankYou.objects.count() == 0


def test_not_closed_needs_a_reason_which_the_giver_reads(
    client_for, chapter, member, receiver, slip, django_capture_on_commit_callbacks
):
    page = client_for(receiver).post(status_url(chapter, slip), {"status": "not_closed"})
    assert page.status_code == 400
    assert "Say why the referral did not close." in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client_for(receiver).post(
            status_url(chapter, slip), {"status": "not_closed", "reason": "Chose a cheaper quote"}
        )
    slip.refresh_from_db()
    assert slip.status == "not_closed" and slip.status_reason == "Chose a cheaper quote"
    assert "Chose a cheaper quote" in mail.outbox[0].body


def test_a_referral_only_moves_forward(client_for, chapter, receiver, slip):
    client = client_for(receiver)
    client.post(status_url(chapter, slip), {"status": "meeting_booked"})
    assert client.post(status_url(chapter, slip), {"status": "contacted"}).status_code == 400
    assert client.post(status_url(chapter, slip), {"status": "bogus"}).status_code == 400
    slip.refresh_from_db()
    assert slip.status == "meeting_booked"


def test_only_the_receiver_updates_the_status(client_for, chapter, member, president, slip):
    assert client_for(member).post(
        status_url(chapter, slip), {"status": "contacted"}
    ).status_code == 403
    # A member who is not on the referral does not see it at all.
    assert client_for(president).post(
        status_url(chapter, slip), {"status": "contacted"}
    ).status_code == 404
    assert client_for(president).get(
        reverse("referral_detail", args=[chapter.slug, slip.pk])
    ).status_code == 404


def test_a_thank_you_emails_the_member_credited_naming_the_thanker_when_the_chapter_allows(
    client_for, chapter, member, receiver, django_capture_on_commit_callbacks
):
    open_week(chapter)
    chapter.thank_you_names_thanker = True
    chapter.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(receiver).post(
            reverse("thank_you_new", args=[chapter.slug]),
            {"credited_to": member.pk, "amount": "750", "business_type": "repeat",
             "token": str(uuid.uuid4())},
        )
    assert response.status_code == 302
    message = mail.outbox[0]
    assert message.to == [member.user.email]
    assert receiver.full_name in message.subject and receiver.full_name in message.body
    assert "750.00" in message.body and "repeat business" in message.body
    listing = client_for(member).get(reverse("thank_you_list", args=[chapter.slug]))
    assert receiver.full_name in listing.content.decode()


def test_a_thank_you_is_anonymous_when_the_chapter_says_so(
    client_for, chapter, member, receiver, django_capture_on_commit_callbacks
):
    open_week(chapter)
    chapter.thank_you_names_thanker = False
    chapter.save()
    with django_capture_on_commit_callbacks(execute=True):
        client_for(receiver).post(
            reverse("thank_you_new", args=[chapter.slug]),
            {"credited_to": member.pk, "amount": "750", "business_type": "new",
             "token": str(uuid.uuid4())},
        )
    message = mail.outbox[0]
    html = message.alternatives[0][0]
    for text in (message.subject, message.body, html):
        assert receiver.full_name not in text and receiver.business_name not in text
    assert f"A member of {chapter.name}" in message.body
    listing = client_for(member).get(reverse("thank_you_list", args=[chapter.slug]))
    assert receiver.full_name not in listing.content.decode()


def test_thanking_again_for_a_referral_credits_its_giver(
    client_for, chapter, member, receiver, slip, django_capture_on_commit_callbacks
):
    services.referral_status_change(
        referral=slip, by=receiver, status="closed_won", amount=Decimal("100")
    )
    url = reverse("thank_you_new", args=[chapter.slug]) + f"?referral={slip.pk}"
    page = client_for(receiver).get(url).content.decode()
    assert 'name="credited_to"' not in page and member.full_name in page
    with django_capture_on_commit_callbacks(execute=True):
        client_for(receiver).post(
            url, {"amount": "300", "business_type": "repeat", "token": str(uuid.uuid4())}
        )
    latest = ThankYou.objects.latest("pk")
    assert (latest.credited_to, latest.referral, latest.business_type) == (
        member, slip, "repeat",
    )
    assert len(mail.outbox) == 1
    # Only the receiver can thank for a referral.
    assert client_for(member).get(url).status_code == 404


def test_a_notice_is_sent_at_most_once(chapter, member, receiver, slip):
    services.referral_status_change(referral=slip, by=receiver, status="contacted")
    notice = GiverNotice.objects.get()
    tasks.giver_notice_send(notice.pk)  # a message of before the outbox: owes nothing more
    (email,) = Delivery.objects.filter(kind=NotificationKind.REFERRAL_NEWS)
    assert (email.ref, email.member) == (notice.pk, member)
    assert notifications.delivery_send(delivery_id=email.pk) == Delivery.State.SENT
    assert notifications.delivery_send(delivery_id=email.pk) == ""
    assert len(mail.outbox) == 1
    # A member can turn referral news off, in one click from the email itself.
    assert mail.outbox[0].extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail.outbox[0].extra_headers["List-Unsubscribe"].strip("<>") in mail.outbox[0].body


def test_a_failed_send_is_retried_and_sent_once(chapter, member, receiver, slip, monkeypatch):
    services.referral_status_change(referral=slip, by=receiver, status="contacted")
    (email,) = Delivery.objects.filter(kind=NotificationKind.REFERRAL_NEWS)

    class Down:
        def open(self):
            raise ConnectionRefusedError(111, "Connection refused")

        def close(self):
            pass

    monkeypatch.setattr(notifications.mailers.__class__, "default", property(lambda self: Down()))
    with pytest.raises(notifications.Deferred):
        notifications.delivery_send(delivery_id=email.pk)
    email.refresh_from_db()
    assert email.state == Delivery.State.PENDING and "refused" in email.last_error
    monkeypatch.undo()
    Delivery.objects.filter(pk=email.pk).update(due_at=timezone.now())
    assert notifications.delivery_send(delivery_id=email.pk) == Delivery.State.SENT
    assert len(mail.outbox) == 1
