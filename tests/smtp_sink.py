"""A real SMTP server for the Rust integration tests (aiosmtpd, installed by `make test`).

Usage: python3 tests/smtp_sink.py PORT
Prints "ready" once listening, then one JSON line per received message: the envelope, the
headers, and the decoded text and HTML parts. Recipients whose address contains "reject" get a
permanent 550, as a real server answers for an unknown mailbox. A message to an address
containing "defer" is answered 451 after its data (a relay that cannot take it now); one to an
address containing "stall" is printed with `"stalled": true` and never answered (a relay that
took the data and then went silent). Stops when stdin closes, so it never outlives the test that
started it.
"""
import asyncio
import email
import email.policy
import json
import sys

from aiosmtpd.controller import Controller


class Sink:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if "reject" in address:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        parts = {}
        for part in msg.walk():
            if part.get_content_type() in ("text/plain", "text/html"):
                parts[part.get_content_type()] = part.get_content()
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "content_type": msg.get_content_type(),
            "headers": {k.lower(): str(v) for k, v in msg.items()},
            "text": parts.get("text/plain"),
            "html": parts.get("text/html"),
        }
        if any("defer" in r for r in envelope.rcpt_tos):
            return "451 4.3.0 Mailbox busy, try again later"
        if any("stall" in r for r in envelope.rcpt_tos):
            record["stalled"] = True
            print(json.dumps(record), flush=True)
            await asyncio.sleep(3600)
        print(json.dumps(record), flush=True)
        return "250 Message accepted for delivery"


def main():
    port = int(sys.argv[1])
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    sys.stdin.read()
    controller.stop()


if __name__ == "__main__":
    main()
