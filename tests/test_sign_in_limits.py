"""Sign-in behind the TLS proxy and at a full meeting: rate limits keyed by the real client.

The proxy (README, Deployment) connects from 127.0.0.1, the test client's REMOTE_ADDR, and
appends the address it saw to X-Forwarded-For; with TRUSTED_PROXY_COUNT=1 that last entry is
the client."""

import re

import pytest
from allauth.account import app_settings as account_settings
from allauth.mfa import app_settings as mfa_settings
from django.test import Client
from django.urls import reverse

from config.views import RETRY_AFTER_MINUTES
from tests import factories

pytestmark = pytest.mark.django_db

VENUE = "198.51.100.7"  # a meeting venue's Wi-Fi: everyone behind one public address
GUESSER = "203.0.113.66"
FAILURES_PER_ADDRESS = 20  # wrong passwords a minute from one address, across all accounts


@pytest.fixture
def one_proxy(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1


def sign_in(email, password=factories.PASSWORD, *, forwarded_for, real_ip=None):
    """A sign-in as the proxy forwards it: the client's own X-Forwarded-For, if it sent one,
    followed by the address the proxy saw (and that address in X-Real-IP, if given)."""
    headers = {"X-Forwarded-For": forwarded_for}
    if real_ip:
        headers["X-Real-IP"] = real_ip
    return Client().post(
        reverse("account_login"), {"login": email, "password": password}, headers=headers
    )


def assert_wrong_password(response):
    assert response.status_code == 200
    assert "not correct" in response.content.decode()


def test_failures_from_many_addresses_do_not_stop_another_address_signing_in(one_proxy, member):
    # More wrong passwords than one address may send, each from its own address.
    for n in range(FAILURES_PER_ADDRESS + 10):
        assert_wrong_password(
            sign_in(f"nobody{n}@example.test", "guess", forwarded_for=f"203.0.113.{n}")
        )
    response = sign_in("member@example.test", forwarded_for=VENUE)
    assert response.status_code == 302
    assert response.url == reverse("home")


def test_without_the_proxy_setting_the_proxy_is_everyones_address(member):
    """What members.W001 warns about: one guesser shuts every member out."""
    for n in range(FAILURES_PER_ADDRESS):
        assert_wrong_password(
            sign_in(f"nobody{n}@example.test", "guess", forwarded_for=f"203.0.113.{n}")
        )
    assert sign_in("member@example.test", forwarded_for=VENUE).status_code == 429


def test_a_guesser_forging_x_forwarded_for_stays_in_its_own_bucket(one_proxy, member):
    # Each try claims another address, the member's among them; the proxy appends the real one.
    for n in range(FAILURES_PER_ADDRESS):
        forged = f"198.51.100.{n}, {GUESSER}"
        assert_wrong_password(sign_in(f"nobody{n}@example.test", "guess", forwarded_for=forged))
    response = sign_in("another@example.test", "guess", forwarded_for=f"{VENUE}, {GUESSER}")
    assert response.status_code == 429
    # The address the guesser claimed still signs in.
    assert sign_in("member@example.test", forwarded_for=VENUE).status_code == 302


def test_forty_members_sign_in_from_one_venue_address_within_a_minute(one_proxy, chapter):
    members = [factories.member(chapter, email=f"m{n}@example.test") for n in range(40)]
    answers = [sign_in(m.user.email, forwarded_for=VENUE).status_code for m in members]
    assert answers == [302] * 40


def test_the_sixth_wrong_password_for_one_account_answers_429_from_any_address(
    one_proxy, member
):
    for n in range(5):
        assert_wrong_password(
            sign_in("member@example.test", f"wrong {n}", forwarded_for=f"203.0.113.{n}")
        )
    response = sign_in("member@example.test", "wrong again", forwarded_for="203.0.113.99")
    assert response.status_code == 429
    # The account waits, even for its right password from its usual address.
    assert sign_in("member@example.test", forwarded_for=VENUE).status_code == 429


def test_retrying_a_paused_account_does_not_lock_out_the_venue(one_proxy, chapter):
    stuck = factories.member(chapter, email="stuck@example.test")
    for n in range(5):
        assert_wrong_password(sign_in(stuck.user.email, f"wrong {n}", forwarded_for=VENUE))
    for n in range(FAILURES_PER_ADDRESS + 5):
        assert sign_in(stuck.user.email, f"again {n}", forwarded_for=VENUE).status_code == 429
    # The rest of the room still signs in, and a typo is still just a typo.
    factories.member(chapter, email="next@example.test")
    assert_wrong_password(sign_in("next@example.test", "typo", forwarded_for=VENUE))
    assert sign_in("next@example.test", forwarded_for=VENUE).status_code == 302


def test_a_platform_header_names_the_client_and_x_forwarded_for_is_ignored(settings, member):
    settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER = "X-Real-IP"
    for n in range(FAILURES_PER_ADDRESS):
        response = sign_in(
            f"nobody{n}@example.test", "guess", forwarded_for=f"198.51.100.{n}", real_ip=GUESSER
        )
        assert_wrong_password(response)
    response = sign_in(
        "another@example.test", "guess", forwarded_for="198.51.100.250", real_ip=GUESSER
    )
    assert response.status_code == 429
    response = sign_in("member@example.test", forwarded_for=GUESSER, real_ip=VENUE)
    assert response.status_code == 302


def test_the_429_page_says_what_happened_and_when_to_try_again(one_proxy, member):
    for n in range(5):
        sign_in("member@example.test", f"wrong {n}", forwarded_for=VENUE)
    response = sign_in("member@example.test", "wrong again", forwarded_for=VENUE)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == str(RETRY_AFTER_MINUTES * 60)
    page = response.content.decode()
    assert 'class="site-header"' in page  # the site's layout
    assert "Too many attempts" in page
    assert f"wait {RETRY_AFTER_MINUTES} minutes, then try again" in page
    assert reverse("account_reset_password") in page


def test_no_rate_limit_lasts_longer_than_the_wait_the_429_page_gives():
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    limits = [*account_settings.RATE_LIMITS.items(), *mfa_settings.RATE_LIMITS.items()]
    rates = [
        (action, rate.strip()) for action, value in limits if value for rate in value.split(",")
    ]
    assert ("login", "120/m/ip") in rates
    for action, rate in rates:
        times, unit = re.fullmatch(r"\d+/(\d*)([smhd])(?:/\w+)?", rate).groups()
        assert int(times or 1) * seconds[unit] <= RETRY_AFTER_MINUTES * 60, (action, rate)
