"""Emails through Django's own SMTP backend to a real SMTP server (aiosmtpd): what arrives is
what Django wrote, a long unsubscribe address goes as itself, and the server's refusals are
judged transient or permanent as the outbox retries or records them."""

import logging
import smtplib
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from django.core.mail import mailers

from notifications import outbox as notifications
from tests.integration.test_notifications_delivery import free_port

LONG_URL = "https://referral-chapters.example.org/" + "regional-office/" * 4 + "unsubscribe/x/"


class Server:
    """An SMTP server that accepts, or refuses a recipient or the content as told."""

    def __init__(self):
        self.refuse: dict[str, str] = {}  # RCPT TO address -> reply
        self.refuse_content = ""
        self.received: list[bytes] = []

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.refuse_content:
            return self.refuse_content
        self.received.append(envelope.content)
        return "250 Accepted"


@pytest.fixture
def server(settings):
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    handler = Server()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(),
                            server_hostname="localhost", ready_timeout=10)
    controller.start()
    settings.MAILERS = {"default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {"host": "127.0.0.1", "port": controller.port, "use_tls": False,
                    "use_ssl": False, "timeout": 5},
    }}
    yield handler
    controller.stop()


def email(to="member@example.test") -> notifications.OutboxEmail:
    message = notifications.OutboxEmail(
        subject="Tuesday", body="Hello,\n.\n..two dots\nsee you.\n", to=[to],
        headers={"List-Unsubscribe": f"<{LONG_URL}>",
                 "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )
    message.attach_alternative("<p>Hello</p>", "text/html")
    return message


def test_an_email_arrives_whole_with_its_unsubscribe_address_as_itself(server):
    with mailers.default as backend:
        assert backend.send_messages([email(), email()]) == 2
    assert len(server.received) == 2
    received = message_from_bytes(server.received[0], policy=policy.default)
    assert received.get_body(("plain",)).get_content().splitlines() == [
        "Hello,", ".", "..two dots", "see you."]
    (line,) = [line for line in server.received[0].split(b"\r\n")
               if line.startswith(b"List-Unsubscribe:")]
    assert line == f"List-Unsubscribe: <{LONG_URL}>".encode()  # not RFC 2047 encoded words


@pytest.mark.parametrize(
    ("refusal", "permanent"),
    [
        ({"refuse": {"member@example.test": "550 5.1.1 No such user"}}, True),
        ({"refuse": {"member@example.test": "452 4.2.2 Mailbox full"}}, False),
        ({"refuse_content": "554 5.6.0 Rejected"}, True),
        ({"refuse_content": "451 4.3.0 Try again later"}, False),
    ],
)
def test_a_refusal_is_judged_as_the_outbox_retries_or_records_it(server, refusal, permanent):
    for name, value in refusal.items():
        setattr(server, name, value)
    with mailers.default as backend, pytest.raises(smtplib.SMTPException) as refused:
        backend.send_messages([email()])
    assert notifications._is_permanent(refused.value) is permanent
    assert server.received == []


def test_a_server_that_is_down_is_a_transient_failure(settings):
    settings.MAILERS = {"default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {"host": "127.0.0.1", "port": free_port(), "timeout": 2},
    }}
    with pytest.raises(OSError) as refused:
        mailers.default.send_messages([email()])
    assert not notifications._is_permanent(refused.value)
