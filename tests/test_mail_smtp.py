"""config/mail.py: the SMTP backend pipelines each message's envelope where the server allows
it, and otherwise answers exactly as smtplib does; its addresses are the ones Django gives."""

import logging
import smtplib
from email import policy as email_policy

import pytest
from aiosmtpd.controller import Controller
from django.core.mail import EmailMessage, mailers
from django.core.mail.backends import smtp

from config import mail
from tests.integration.test_notifications_delivery import free_port

# A line that starts with a dot must reach the server dot-stuffed and come back whole.
MESSAGE = (b"Subject: Tuesday\r\nTo: member@example.test\r\n\r\nHello,\r\n.\r\n"
           b"..two dots\r\nsee you.\r\n")
SENDER = "chapter@example.test"


class Server:
    """What an SMTP server answers: refusals by address, or for the content."""

    def __init__(self, pipelining: bool):
        self.pipelining = pipelining
        self.refuse_sender = ""  # a reply for MAIL FROM, or "" to accept
        self.refuse: dict[str, str] = {}  # RCPT TO address -> reply
        self.refuse_content = ""
        self.received: list[tuple[str, list[str], bytes]] = []

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
        session.host_name = hostname
        if not self.pipelining:
            return responses
        return [*responses[:-1], "250-PIPELINING", responses[-1]]

    async def handle_MAIL(self, server, session, envelope, address, options):  # noqa: N802
        if self.refuse_sender:
            return self.refuse_sender
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.refuse_content:
            return self.refuse_content
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Accepted"


@pytest.fixture(params=[True, False], ids=["pipelining", "no-pipelining"])
def server(request):
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    handler = Server(pipelining=request.param)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(),
                            server_hostname="localhost", ready_timeout=10)
    controller.start()
    handler.port = controller.port
    yield handler
    controller.stop()


def connected(server) -> tuple[smtplib.SMTP, list[bytes]]:
    """A connection to the server, and what it writes, write by write."""
    connection = smtplib.SMTP("127.0.0.1", server.port, timeout=5)
    writes: list[bytes] = []
    send = connection.send

    def counted(data):
        writes.append(data if isinstance(data, bytes) else data.encode())
        return send(data)

    connection.send = counted
    return connection, writes


def outcome(function, *args):
    """What a send returned, or the type and arguments of what it raised."""
    try:
        return "returned", function(*args)
    except smtplib.SMTPException as error:
        return type(error).__name__, error.args


def test_a_message_arrives_whole_in_two_writes_when_the_server_pipelines(server):
    connection, writes = connected(server)
    connection.ehlo()
    writes.clear()
    for _ in range(2):  # and again over the same connection
        assert mail.sendmail(connection, SENDER, ["a@example.test", "b@example.test"],
                             MESSAGE) == {}
    connection.quit()
    assert server.received == [(SENDER, ["a@example.test", "b@example.test"], MESSAGE)] * 2
    if server.pipelining:
        envelope = (f"MAIL FROM:<{SENDER}> size={len(MESSAGE)}\r\nRCPT TO:<a@example.test>\r\n"
                    "RCPT TO:<b@example.test>\r\nDATA\r\n").encode()
        assert writes[:2] == [envelope, MESSAGE.replace(b"\r\n.", b"\r\n..") + b".\r\n"]
        assert len(writes) == 5  # two a message, then QUIT
    else:  # as smtplib sends it: a write a command
        assert len(writes) == 11


REFUSALS = {
    "sender refused": lambda server: setattr(server, "refuse_sender", "550 5.7.1 Not you"),
    "sender refused, closing": lambda server: setattr(server, "refuse_sender", "421 Closing"),
    "one recipient refused": lambda server: server.refuse.update(
        {"b@example.test": "550 5.1.1 No such user"}),
    "every recipient refused": lambda server: server.refuse.update(
        {"a@example.test": "550 5.1.1 No such user", "b@example.test": "452 4.2.2 Full"}),
    "recipient refused, closing": lambda server: server.refuse.update(
        {"a@example.test": "421 4.3.2 Shutting down"}),
    "content refused": lambda server: setattr(server, "refuse_content", "554 5.6.0 Rejected"),
    "content deferred": lambda server: setattr(server, "refuse_content", "451 4.3.0 Later"),
}


@pytest.mark.parametrize("refusal", list(REFUSALS))
def test_a_refusal_raises_what_smtplib_raises_and_leaves_the_connection_as_smtplib_does(
    server, refusal
):
    results = []
    for send in (smtplib.SMTP.sendmail, mail.sendmail):
        REFUSALS[refusal](server)
        connection, _ = connected(server)
        result = outcome(send, connection, SENDER, ["a@example.test", "b@example.test"],
                         MESSAGE)
        server.refuse_sender, server.refuse, server.refuse_content = "", {}, ""
        # After a refusal the connection takes the next message, or it was closed.
        then = (outcome(smtplib.SMTP.sendmail, connection, SENDER, ["c@example.test"], MESSAGE)
                if connection.sock is not None else "closed")
        results.append((result, then))
        connection.close()
    assert results[0] == results[1]
    assert results[0][1] in ("closed", ("returned", {}))
    accepted = [recipients for _, recipients, _ in server.received]
    if refusal == "one recipient refused":
        assert accepted == [["a@example.test"], ["c@example.test"]] * 2
    else:
        assert accepted == [["c@example.test"]] * (2 * (results[0][1] != "closed"))


def use_backend(settings, port: int) -> None:
    settings.MAILERS = {"default": {"BACKEND": "config.mail.EmailBackend", "OPTIONS": {
        "host": "127.0.0.1", "port": port, "use_tls": False, "use_ssl": False, "timeout": 5}}}


def test_a_plain_address_is_used_as_it_is_and_any_other_as_django_prepares_it(settings):
    use_backend(settings, 25)
    backend = mailers.default
    assert isinstance(backend, mail.EmailBackend)
    django = smtp.EmailBackend.prep_address
    for address in ["member@example.test", "First.Last+tag@mail.example.co.uk",
                    "Chapterhouse <no-reply@example.test>", '"Archer, Alice" <a@example.test>',
                    "o'brien@example.test", "a@exämple.test", "webmaster", "a@localhost"]:
        for _ in range(2):  # the second from what the backend kept
            assert backend.prep_address(address) == django(backend, address)
        assert backend.prep_address(address, force_ascii=False) == django(
            backend, address, force_ascii=False)
    for bad in ["zoë@example.test", "a@example.test\r\nBcc: b@example.test",
                "a@example.test, b@example.test", ".a@example.test", "a..b@example.test"]:
        with pytest.raises(ValueError):
            django(backend, bad)
        with pytest.raises(ValueError):
            backend.prep_address(bad)


def test_the_backend_sends_what_django_would_send(server, settings):
    use_backend(settings, server.port)
    email = EmailMessage(subject="Tuesday", body="Hello,\n.\nsee you.\n",
                         from_email="Chapterhouse <no-reply@example.test>",
                         to=["member@example.test"], cc=["Leader <leader@example.test>"],
                         headers={"Date": "Tue, 1 Dec 2026 07:00:00 +0000",
                                  "Message-ID": "<tuesday@example.test>"})
    with mailers.default as backend:
        assert backend.send_messages([email]) == 1
    (sender, recipients, content), = server.received
    assert sender == "no-reply@example.test"
    assert recipients == ["member@example.test", "leader@example.test"]
    assert content == email.message(policy=email_policy.SMTP).as_bytes()


class ScriptedConnection(smtplib.SMTP):
    """A connection to a server that answers from a script (for what no real one we run
    does), recording what the client writes."""

    def __init__(self, replies):
        super().__init__()
        self.replies, self.writes = list(replies), []
        self.does_esmtp, self.esmtp_features = True, {"pipelining": ""}
        self.ehlo_resp = b"scripted"
        self.sock = object()

    def send(self, data):
        self.writes.append(data if isinstance(data, bytes) else data.encode())

    def getreply(self):
        return self.replies.pop(0)

    def close(self):
        self.sock = None


def test_data_taken_after_every_recipient_was_refused_is_ended_empty():
    """RFC 2920 lets a server answer DATA with 354 though no recipient was taken: the client
    must end the empty message before it says anything else."""
    connection = ScriptedConnection([(250, b"OK"), (550, b"No such user"), (354, b"Go ahead"),
                                     (554, b"No valid recipients"), (250, b"Reset")])
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        mail.sendmail(connection, SENDER, ["a@example.test"], MESSAGE)
    assert refused.value.recipients == {"a@example.test": (550, b"No such user")}
    assert connection.writes[1:] == [b".\r\n", b"rset\r\n"]
    assert connection.replies == []
