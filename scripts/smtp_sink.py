#!/usr/bin/env python3
"""A real SMTP server for Comptoir's e-mail tests (aiosmtpd), on 127.0.0.1 only.

Usage: smtp_sink.py FOLDER [--port N] [--user U --password P] [--hold-reply SECONDS]

Prints the port it listens on (one line) once it accepts connections, then writes every
message it receives to FOLDER as NNNN.eml (the bytes as received) and NNNN.json (the
envelope and the message read back with Python's `email` package: subject, addresses,
text body, attachments in base64). With --user, clients must sign in (AUTH PLAIN/LOGIN)
with that user and password; plain text auth is allowed since it is loopback only.
Any recipient named refused@… is refused for good (550). With --hold-reply, the "250"
that acknowledges a message waits that long after the message was written: a test kills
its client in between, as a crash between "sent" and "marked sent".
Runs until killed.
"""

import argparse
import asyncio
import base64
import email
import email.policy
import json
import logging
import pathlib
import warnings

from aiosmtpd.smtp import SMTP, AuthResult


class Sink:
    def __init__(self, folder: pathlib.Path, hold_reply: float):
        self.folder = folder
        self.hold_reply = hold_reply
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        # A mailbox that does not exist, for the tests of a refusal for good.
        if address.startswith("refused@"):
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        stem = self.folder / f"{self.count:04}"
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        report = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "authenticated": session.authenticated,
            "login": session.auth_data.login.decode() if session.authenticated else None,
            "message_id": message["Message-ID"],
            "from": message["From"],
            "to": message["To"],
            "cc": message["Cc"],
            "reply_to": message["Reply-To"],
            "subject": message["Subject"],
            "body": body.get_content() if body is not None else None,
            "attachments": [
                {
                    "name": part.get_filename(),
                    "mime": part.get_content_type(),
                    "base64": base64.b64encode(part.get_payload(decode=True)).decode(),
                }
                for part in message.iter_attachments()
            ],
        }
        stem.with_suffix(".eml").write_bytes(raw)
        # The report last, through a rename: a reader that sees it sees the whole message.
        temporary = stem.with_suffix(".tmp")
        temporary.write_text(json.dumps(report, ensure_ascii=False))
        temporary.rename(stem.with_suffix(".json"))
        if self.hold_reply:
            await asyncio.sleep(self.hold_reply)
        return "250 Message accepted for delivery"


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login.decode() == user and auth_data.password.decode() == password
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    return check


async def main():
    # Sign-in without TLS is what the tests want here (loopback only): no warning for it.
    warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=pathlib.Path)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--hold-reply", type=float, default=0.0)
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    sink = Sink(args.folder, args.hold_reply)
    options = {}
    if args.user is not None:
        options = {
            "authenticator": authenticator(args.user, args.password or ""),
            "auth_required": True,
            "auth_require_tls": False,
        }
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(sink, hostname="sink.localhost", **options), host="127.0.0.1", port=args.port
    )
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
