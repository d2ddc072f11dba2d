"""members/mail_policy.write: the same bytes as Python's own generator, for every shape of
email it may be handed."""

import copy
import gc
from email import message_from_bytes, policy
from email.generator import BytesGenerator
from email.message import EmailMessage, MIMEPart
from io import BytesIO

import pytest

from members import mail_policy

POLICIES = {
    "smtp": policy.SMTP,
    "default": policy.default,
    "smtputf8": policy.SMTPUTF8,
    "ours": mail_policy.remembering(policy.SMTP),
    "7bit": policy.SMTP.clone(cte_type="7bit"),
}


def generated(message, chosen) -> bytes:
    out = BytesIO()
    BytesGenerator(out, mangle_from_=False, policy=chosen).flatten(message)
    return out.getvalue()


def reminder_like() -> EmailMessage:
    message = EmailMessage(policy=policy.SMTP)
    message["Subject"] = "Réunion: Zürich Connectors meets Tuesday"
    message["From"] = "Chapterhouse <no-reply@example.test>"
    message["To"] = "Zoë Ørsted <zoe@example.test>"
    message["List-Unsubscribe"] = "<https://example.test/" + "u" * 120 + ">"
    message.set_content("Hello Zoë,\nFrom the chapter:\r\nline\rend\n\n-- \n")
    message.add_alternative("<p>" + "é" * 200 + "</p>\n" + "<p>x</p>" * 40, subtype="html")
    ics = MIMEPart()
    ics.set_content("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", subtype="calendar",
                    disposition="attachment", filename="meeting.ics")
    message.add_attachment(ics)
    return message


def odd_shapes() -> dict[str, EmailMessage]:
    shapes = {"reminder": reminder_like()}

    plain = EmailMessage()
    plain["Subject"] = "ascii"
    plain.set_content("short\n" * 3)
    shapes["plain"] = plain

    empty = EmailMessage()
    empty["Subject"] = "no body"
    shapes["empty"] = empty

    long_lines = EmailMessage()
    long_lines.set_content(("word " * 400 + "\n") * 3)  # quoted-printable
    long_lines.add_attachment(bytes(range(256)) * 40, maintype="application",
                              subtype="pdf", filename="report.pdf")  # base64
    shapes["long lines and binary"] = long_lines

    framed = reminder_like()
    framed.preamble = "This is a MIME message.\n"
    framed.epilogue = "The end.\n"
    shapes["preamble and epilogue"] = framed

    forwarded = EmailMessage()
    forwarded.set_content("See below")
    forwarded.add_attachment(reminder_like())  # message/rfc822: the generator's own way
    shapes["attached message"] = forwarded

    signed = EmailMessage()
    signed.make_mixed()
    signed.set_type("multipart/signed")
    signed_part = MIMEPart()
    signed_part["X-Note"] = "words " * 200  # signed parts' headers are never folded
    signed_part.set_content("signed text")
    signed.attach(signed_part)
    shapes["signed"] = signed

    parsed = message_from_bytes(reminder_like().as_bytes(policy=policy.SMTP),
                                policy=policy.default)  # payloads with surrogates
    shapes["parsed 8-bit"] = parsed
    for message in shapes.values():  # as NotificationEmail gives them
        for part in message.walk():
            if part.is_multipart() and not part.get_boundary():
                part.set_boundary(f"=={id(part)}==")
    shapes["no boundary yet"] = reminder_like()  # the generator makes one: its own way
    return shapes


@pytest.mark.parametrize("name", list(odd_shapes()))
@pytest.mark.parametrize("chosen", list(POLICIES))
def test_writes_what_the_generator_writes(name, chosen):
    message = odd_shapes()[name]
    ours = mail_policy.write(message, POLICIES[chosen])
    assert ours == generated(message, POLICIES[chosen])
    assert ours == mail_policy.write(message, POLICIES[chosen])


def test_a_shared_part_is_written_once_and_reused_for_its_policy_only():
    message = odd_shapes()["reminder"]
    ics = message.get_payload()[-1]
    kept = {ics: (None, b"")}
    first = mail_policy.write(message, policy.SMTP, kept)
    assert first == generated(message, policy.SMTP)
    assert kept[ics][1] in first
    kept[ics] = (policy.SMTP, b"KEPT\r\n")  # what a second copy finds
    assert b"KEPT\r\n" in mail_policy.write(message, policy.SMTP, kept)
    assert mail_policy.write(message, policy.default, kept) == generated(message, policy.default)


def test_a_ledger_message_writes_through_as_bytes_and_bytes():
    message = odd_shapes()["reminder"]
    expected = generated(message, policy.SMTP)
    message.__class__ = mail_policy.LedgerMessage
    assert message.as_bytes() == expected
    assert bytes(message) == expected
    assert message.as_bytes(policy=policy.default) == generated(message, policy.default)
    assert message.as_bytes(unixfrom=True).startswith(b"From nobody ")


def test_a_copy_of_a_ledger_message_writes_what_the_generator_writes():
    """Django's test outbox deep-copies each email: its kept parts are copies too, and the
    original parts may be gone, their memory reused by other objects."""
    message = odd_shapes()["reminder"]
    ics = message.get_payload()[-1]
    message.__class__ = mail_policy.LedgerMessage
    message.kept = {ics: (None, b"")}
    expected = generated(message, policy.SMTP)
    assert message.as_bytes() == expected
    copied = copy.deepcopy(message)
    del message, ics
    gc.collect()
    for _ in range(2):
        assert copied.as_bytes() == expected
        assert copied.as_bytes(policy=policy.default) == generated(copied, policy.default)
