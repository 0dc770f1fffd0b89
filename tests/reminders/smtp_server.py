"""An SMTP server on loopback for the reminder tests (tests/reminders.rs), on aiosmtpd.

    python smtp_server.py PORT_FILE MAILDIR [--refuse ADDRESS]... [--stall-file PATH]
                          [--tls starttls|tls --cert PEM --key PEM]

Listens on 127.0.0.1 on a free port and writes the port to PORT_FILE once it accepts
connections. Each message it takes is written to MAILDIR as NNNN.eml, with an
`X-Envelope-To:` line per envelope recipient in front, before the server answers.
A recipient given with --refuse is refused at RCPT (550). While the --stall-file exists
the server holds back its answer to DATA (the message is already written): a client
that dies meanwhile has sent the message without hearing that it was taken.
With --tls starttls the server offers STARTTLS and refuses mail without it; with
--tls tls it speaks TLS from the first byte. Each message written then starts with
`X-Received-Over: TLS <version>`.
"""
import argparse
import asyncio
import itertools
import logging
import os

from aiosmtpd.smtp import SMTP


class Handler:
    def __init__(self, maildir, refuse, stall_file):
        self.maildir = maildir
        self.refuse = {a.lower() for a in refuse}
        self.stall_file = stall_file
        self.count = itertools.count(len(os.listdir(maildir)))

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        n = next(self.count)
        head = "".join("X-Envelope-To: %s\r\n" % r for r in envelope.rcpt_tos)
        ssl = server.transport.get_extra_info("ssl_object")
        if ssl is not None:
            head = "X-Received-Over: TLS %s\r\n" % ssl.version() + head
        head = head.encode()
        tmp = os.path.join(self.maildir, ".%04d.tmp" % n)
        with open(tmp, "wb") as f:
            f.write(head + envelope.content)
        os.rename(tmp, os.path.join(self.maildir, "%04d.eml" % n))
        while self.stall_file and os.path.exists(self.stall_file):
            await asyncio.sleep(0.05)
        return "250 2.0.0 Message accepted"


async def main():
    # A refused handshake is what some tests want: no tracebacks for it.
    logging.getLogger("mail.log").setLevel(logging.CRITICAL)
    p = argparse.ArgumentParser()
    p.add_argument("port_file")
    p.add_argument("maildir")
    p.add_argument("--refuse", action="append", default=[])
    p.add_argument("--stall-file")
    p.add_argument("--tls", choices=["starttls", "tls"])
    p.add_argument("--cert")
    p.add_argument("--key")
    a = p.parse_args()
    ctx = None
    if a.tls:
        import ssl
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.cert, a.key)
    os.makedirs(a.maildir, exist_ok=True)
    handler = Handler(a.maildir, a.refuse, a.stall_file)
    loop = asyncio.get_running_loop()
    if a.tls == "starttls":
        factory = lambda: SMTP(handler, tls_context=ctx, require_starttls=True)
        server = await loop.create_server(factory, "127.0.0.1", 0)
    elif a.tls == "tls":
        server = await loop.create_server(lambda: SMTP(handler), "127.0.0.1", 0, ssl=ctx)
    else:
        server = await loop.create_server(lambda: SMTP(handler), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    with open(a.port_file + ".tmp", "w") as f:
        f.write(str(port))
    os.rename(a.port_file + ".tmp", a.port_file)
    await asyncio.Event().wait()


asyncio.run(main())
