"""Django's SMTP backend, sending each message's envelope in one write when the server allows it.

smtplib waits for the server's reply to MAIL FROM before it sends RCPT TO, and to each RCPT TO
before DATA: four round trips a message. Servers that announce PIPELINING (RFC 2920; Postfix,
Exim and the large relays do) take MAIL FROM, the RCPT TOs and DATA in one write and answer
each in order, so a message costs two round trips: the envelope, then the content. Without
PIPELINING the message goes as smtplib sends it. Replies are read and judged as smtplib judges
them, and raise the same exceptions.
"""

import email.policy
import smtplib

from django.core.mail.backends import smtp

from members import mail_policy


def sendmail(connection: smtplib.SMTP, from_addr: str, to_addrs: list[str], message: bytes,
             ) -> dict:
    """`connection.sendmail(from_addr, to_addrs, message)`, with the envelope pipelined when
    the server announces PIPELINING. Returns the refused recipients, as sendmail does."""
    connection.ehlo_or_helo_if_needed()
    if not (connection.does_esmtp and connection.has_extn("pipelining")):
        return connection.sendmail(from_addr, to_addrs, message)
    options = f" size={len(message)}" if connection.has_extn("size") else ""
    commands = [f"MAIL FROM:{_quoted(from_addr)}{options}"]
    commands += [f"RCPT TO:{_quoted(address)}" for address in to_addrs]
    commands.append("DATA")
    for command in commands:
        if "\r" in command or "\n" in command:  # as putcmd refuses them
            raise ValueError(f"command contains prohibited newline characters: {command!r}")
    connection.send("".join(f"{command}\r\n" for command in commands))
    # Each command is answered in turn, whatever became of the ones before it.
    sender_reply = connection.getreply()
    if sender_reply[0] == 421:  # the server is closing the connection: nothing more to read
        connection.close()
        raise smtplib.SMTPSenderRefused(*sender_reply, from_addr)
    refused = {}
    for address in to_addrs:
        reply = connection.getreply()
        if reply[0] not in (250, 251):
            refused[address] = reply
        if reply[0] == 421:
            connection.close()
            raise smtplib.SMTPRecipientsRefused(refused)
    data_code, data_reply = connection.getreply()
    accepted = sender_reply[0] == 250 and len(refused) < len(to_addrs)
    if data_code == 354:
        if accepted:
            content = smtplib._quote_periods(message)  # noqa: SLF001 - as SMTP.data() quotes
            if content[-2:] != b"\r\n":
                content += b"\r\n"
            connection.send(content + b".\r\n")
        else:  # the server took DATA though the envelope failed: end it empty
            connection.send(b".\r\n")
        data_code, data_reply = connection.getreply()
    if sender_reply[0] != 250:
        _reset_or_close(connection, data_code)
        raise smtplib.SMTPSenderRefused(*sender_reply, from_addr)
    if not accepted:
        _reset_or_close(connection, data_code)
        raise smtplib.SMTPRecipientsRefused(refused)
    if data_code != 250:
        _reset_or_close(connection, data_code)
        raise smtplib.SMTPDataError(data_code, data_reply)
    return refused


def _quoted(address: str) -> str:
    """smtplib.quoteaddr, which parses the address again: a plain one is quoted as it is."""
    if mail_policy.PLAIN_ADDRESS.fullmatch(address):
        return f"<{address}>"
    return smtplib.quoteaddr(address)


def _reset_or_close(connection: smtplib.SMTP, code: int) -> None:
    if code == 421:  # the server is closing the connection
        connection.close()
    else:
        connection._rset()  # noqa: SLF001 - as sendmail resets after a refusal


# Addresses that are not plain, kept parsed by a backend (the From of every email, say).
PREPARED_KEPT = 256


class EmailBackend(smtp.EmailBackend):
    def prep_address(self, address, force_ascii=True):
        """Django's prep_address parses every address into header objects (a tenth of a
        reminder's CPU, measured): a plain address is its own envelope address, and the rest
        (the From of every email, say) are parsed once a backend."""
        if isinstance(address, str) and mail_policy.PLAIN_ADDRESS.fullmatch(address):
            return address
        prepared = self.__dict__.setdefault("_prepared", {})
        key = (address, force_ascii)
        if key not in prepared:
            if len(prepared) >= PREPARED_KEPT:
                prepared.clear()
            prepared[key] = super().prep_address(address, force_ascii)
        return prepared[key]

    def _send(self, email_message):
        if not email_message.recipients():
            return False
        from_email = self.prep_address(email_message.from_email)
        recipients = [self.prep_address(address) for address in email_message.recipients()]
        # A ledger email writes itself without building the message (see NotificationEmail).
        written = getattr(email_message, "written", None)
        message = written(email.policy.SMTP) if written is not None else None
        if message is None:
            message = email_message.message(policy=email.policy.SMTP).as_bytes()
        try:
            sendmail(self.connection, from_email, recipients, message)
        except smtplib.SMTPException:
            if not self.fail_silently:
                raise
            return False
        return True

