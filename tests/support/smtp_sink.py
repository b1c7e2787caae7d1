#!/usr/bin/env python3
"""An SMTP server for tests: every message it accepts becomes a file.

    python3 tests/support/smtp_sink.py --port N --dir DIR [--auth USER:PASS]
                                       [--exit-on-stdin-eof]

- Listens on 127.0.0.1:N (N = 0 picks a free port) and prints
  ``READY <port>`` on stdout once it accepts connections, so the test knows
  both that it may connect and where (no race on a pre-picked port).
- Writes message k (1, 2, ...) as ``DIR/k.eml``: the bytes exactly as
  received after DATA, never re-encoded, so the test judges what the client
  sent. The SMTP envelope, which the message itself does not show, goes to
  ``DIR/k.envelope.json`` first; the ``.eml`` appears last and atomically
  (written under a temporary name, then renamed), so a reader polling for
  ``k.eml`` never sees half a message.
- ``--auth USER:PASS`` offers AUTH PLAIN/LOGIN over plain text (a test
  relay has no TLS) and accepts only that pair; without it, no AUTH.
- Exits 0 on SIGTERM or SIGINT; with ``--exit-on-stdin-eof`` also when its
  stdin closes, so a test that panics or is killed cannot leave it running.

Out of process on purpose: it is an independent SMTP implementation, not
lettre talking to itself.
"""

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
import warnings

# A test relay has no TLS: aiosmtpd's warnings about AUTH in clear text (and
# its own deprecated `login_data`) are expected here and only add noise.
warnings.filterwarnings("ignore", module="aiosmtpd")
warnings.filterwarnings("ignore", message=".*login_data.*")
logging.getLogger("mail.log").setLevel(logging.ERROR)

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Sink:
    """aiosmtpd handler: one numbered file per accepted message."""

    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.directory, str(self.count))
        meta = {"mail_from": envelope.mail_from, "rcpt_tos": list(envelope.rcpt_tos)}
        with open(base + ".envelope.json", "w", encoding="utf-8") as f:
            json.dump(meta, f, ensure_ascii=False)
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content)
        os.replace(base + ".eml.tmp", base + ".eml")
        return "250 Message accepted for delivery"


def authenticator_for(pair):
    user, _, password = pair.partition(":")

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == user
            and auth_data.password.decode() == password
        )
        # handled=False: aiosmtpd then answers 535 itself; its default
        # (handled=True) sends nothing and leaves the client hanging.
        return AuthResult(success=ok, handled=False)

    return authenticate


async def serve(args):
    os.makedirs(args.dir, exist_ok=True)
    sink = Sink(args.dir)
    options = {"hostname": "smtp-sink.test", "decode_data": False}
    if args.auth:
        options.update(authenticator=authenticator_for(args.auth), auth_required=True, auth_require_tls=False)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(sink, **options), "127.0.0.1", args.port)
    port = server.sockets[0].getsockname()[1]

    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if args.exit_on_stdin_eof:
        # A reader on the event loop, not a thread: a thread blocked in
        # sys.stdin.read() makes the interpreter abort at exit.
        def on_stdin():
            if not os.read(0, 4096):
                loop.remove_reader(0)
                stop.set()

        try:
            loop.add_reader(0, on_stdin)
        except PermissionError:
            pass  # stdin is a file or /dev/null: no parent to watch

    print(f"READY {port}", flush=True)
    await stop.wait()
    # Close the listener; open client connections (lettre pools them) die
    # with the process instead of being awaited.
    server.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True, help="0 picks a free port")
    parser.add_argument("--dir", required=True, help="where k.eml files are written")
    parser.add_argument("--auth", help="USER:PASS to require for AUTH")
    parser.add_argument("--exit-on-stdin-eof", action="store_true")
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
