"""Accounts: email login, no open sign-up, invitations, email verification, password reset,
two-factor authentication."""

import datetime
import re

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from members.models import Invitation, Member, User
from tests import factories

pytestmark = pytest.mark.django_db


def link_in(message) -> str:
    return re.search(r"https?://[^/\s]+(/\S+)", message.body).group(1)


def sign_in(client, email, password=factories.PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_member_signs_in_with_email_and_password_and_lands_in_their_chapter(client, member):
    response = sign_in(client, "MEMBER@example.test")
    assert response.status_code == 302
    response = client.get(response.url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("chapter_home", args=[member.chapter.slug])
    assert member.chapter.name in response.content.decode()


def test_wrong_password_rerenders_the_form_with_the_email_kept(client, member):
    response = sign_in(client, "member@example.test", "not the password")
    assert response.status_code == 200
    page = response.content.decode()
    assert "not correct" in page
    assert 'value="member@example.test"' in page


def test_sign_up_is_closed(client, db):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "stranger@example.test",
            "password1": "Xy7!long-pass",
            "password2": "Xy7!long-pass",
        },
    )
    assert "closed" in response.content.decode().lower()
    assert not User.objects.filter(email="stranger@example.test").exists()


def test_unverified_email_must_be_confirmed_before_signing_in(client, member):
    EmailAddress.objects.filter(user=member.user).update(verified=False)
    response = sign_in(client, "member@example.test")
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert client.get(reverse("home")).status_code == 302  # not signed in
    confirm = client.get(link_in(mail.outbox[-1]))
    assert confirm.status_code == 200
    client.post(link_in(mail.outbox[-1]))
    assert EmailAddress.objects.get(user=member.user).verified


def test_leader_invites_and_the_invitee_sets_a_password_and_lands_in_the_chapter(
    client, client_for, president, django_capture_on_commit_callbacks
):
    chapter = president.chapter
    free = factories.classification("Commercial Insurance")
    with django_capture_on_commit_callbacks(execute=True):
        client_for(president).post(
            reverse("invitation_list", args=[chapter.slug]),
            {
                "email": "New.Person@Example.test",
                "first_name": "Nia",
                "last_name": "Okafor",
                "business_name": "Okafor Cover Ltd",
                "classification": free.pk,
            },
        )
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new.person@example.test"]
    join = link_in(mail.outbox[0])
    client.logout()

    page = client.get(join)
    assert "Commercial Insurance" in page.content.decode()
    response = client.post(
        join, {"password1": "Referral-Power-77", "password2": "Referral-Power-77"}
    )
    assert response.status_code == 302
    assert response.url == reverse("chapter_home", args=[chapter.slug])

    member = Member.objects.get(user__email="new.person@example.test")
    assert (member.chapter, member.classification, member.status) == (chapter, free, "active")
    assert EmailAddress.objects.get(user=member.user).verified
    assert client.get(response.url).status_code == 200  # signed in
    assert client.get(join).status_code == 200  # link used: says so, does not join twice
    assert Member.objects.filter(user=member.user).count() == 1


def test_join_form_keeps_errors_clear_and_loses_nothing(client, chapter, president):
    invitation = Invitation.objects.create(
        chapter=chapter,
        email="ana@example.test",
        first_name="Ana",
        last_name="Silva",
        classification=factories.classification(),
        business_name="Silva Design",
        expires_at=timezone.now() + datetime.timedelta(days=3),
    )
    url = reverse("invitation_accept", args=[invitation.token])
    response = client.post(url, {"password1": "Referral-Power-77", "password2": "different-77"})
    assert response.status_code == 400
    assert "The two passwords differ." in response.content.decode()
    response = client.post(url, {"password1": "12345678", "password2": "12345678"})
    assert response.status_code == 400
    assert "too common" in response.content.decode()
    assert not Member.objects.filter(user__email="ana@example.test").exists()


def test_invitation_into_a_taken_classification_is_refused_with_the_input_kept(
    client_for, president, member
):
    response = client_for(president).post(
        reverse("invitation_list", args=[president.chapter.slug]),
        {
            "email": "rival@example.test",
            "first_name": "Rita",
            "last_name": "Rival",
            "business_name": "Rival Co",
            "classification": member.classification.pk,
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "already taken" in page
    assert 'value="rival@example.test"' in page
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_expired_or_withdrawn_invitation_cannot_be_used(client, chapter, president):
    invitation = Invitation.objects.create(
        chapter=chapter,
        email="late@example.test",
        first_name="Lee",
        last_name="Late",
        classification=factories.classification(),
        business_name="Late Ltd",
        expires_at=timezone.now() - datetime.timedelta(minutes=1),
    )
    url = reverse("invitation_accept", args=[invitation.token])
    client.post(url, {"password1": "Referral-Power-77", "password2": "Referral-Power-77"})
    assert "can no longer be used" in client.get(url).content.decode()
    assert not User.objects.filter(email="late@example.test").exists()


def test_existing_account_accepts_an_invitation_to_a_second_chapter(
    client_for, other_chapter, member
):
    invitation = Invitation.objects.create(
        chapter=other_chapter,
        email=member.user.email,
        first_name="M",
        last_name="M",
        classification=factories.classification(),
        business_name="Second Ltd",
        expires_at=timezone.now() + datetime.timedelta(days=3),
    )
    client = client_for(member)
    response = client.post(reverse("invitation_accept", args=[invitation.token]))
    assert response.url == reverse("chapter_home", args=[other_chapter.slug])
    assert member.user.memberships.count() == 2


@pytest.mark.parametrize("who", ["member", "other_member"])
def test_only_leaders_of_the_chapter_invite(client_for, chapter, who, request):
    person = request.getfixturevalue(who)
    response = client_for(person).get(reverse("invitation_list", args=[chapter.slug]))
    assert response.status_code == {"member": 403, "other_member": 404}[who]


def test_password_reset_answers_the_same_for_known_and_unknown_emails(client, member):
    url = reverse("account_reset_password")
    known = client.post(url, {"email": "member@example.test"})
    unknown = client.post(url, {"email": "nobody@example.test"})
    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url
    reset = next(m for m in mail.outbox if m.to == ["member@example.test"])
    form_url = client.get(link_in(reset), follow=True).redirect_chain[-1][0]
    response = client.post(
        form_url, {"password1": "A-brand-new-secret-9", "password2": "A-brand-new-secret-9"}
    )
    assert response.status_code == 302
    client.logout()
    assert sign_in(client, "member@example.test", "A-brand-new-secret-9").status_code == 302
    assert client.get(reverse("home")).status_code == 302  # redirected to the chapter


def current_code(secret: str) -> str:
    counter = list(yield_hotp_counters_from_time())[0]
    return format_hotp_value(hotp_value(secret, counter))


def test_member_sets_up_two_factor_and_then_needs_the_code_to_sign_in(client, member):
    sign_in(client, "member@example.test")
    # Changing security settings asks for the password again first.
    assert client.get(reverse("mfa_activate_totp")).url.startswith(
        reverse("account_reauthenticate")
    )
    client.post(reverse("account_reauthenticate"), {"password": factories.PASSWORD})
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = page.context["form"].secret
    response = client.post(reverse("mfa_activate_totp"), {"code": current_code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=member.user, type="totp").exists()

    client.logout()
    response = sign_in(client, "member@example.test")
    assert response.url == reverse("mfa_authenticate")
    assert client.get(reverse("chapter_home", args=[member.chapter.slug])).status_code == 302
    response = client.post(reverse("mfa_authenticate"), {"code": current_code(secret)})
    assert response.status_code == 302
    assert client.get(reverse("chapter_home", args=[member.chapter.slug])).status_code == 200


def test_account_pages_use_the_app_layout(client, member):
    page = client.get(reverse("account_login")).content.decode()
    assert 'class="site-header"' in page
    assert "/static/css/app.css" in page
