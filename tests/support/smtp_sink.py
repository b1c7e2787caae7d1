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
- Faults, for the soak tests: ``--refuse-one-in N`` answers a random one
  in N messages ``451`` after DATA (the worst moment: the client has sent
  everything and must retry); ``--slow-ms MS`` waits up to MS
  milliseconds before answering each DATA; ``--seed S`` makes both
  repeatable. ``--port`` with a fixed number and the same ``--dir`` lets a
  test stop the server ("SMTP down") and start it again: numbering and the
  log go on.
- ``DIR/log.jsonl`` gets one line per DATA, accepted or refused:
  ``{"n", "key", "outcome": "accepted"|"refused"}`` (``key`` is the
  ``X-Jiaoban-Key`` header), so a test counts what arrived per key, and
  how many attempts each took.
- Exits 0 on SIGTERM or SIGINT; with ``--exit-on-stdin-eof`` also when its
  stdin closes, so a test that panics or is killed cannot leave it running.

Out of process on purpose: it is an independent SMTP implementation, not
lettre talking to itself.
"""

import argparse
import asyncio
import email.parser
import json
import logging
import os
import random
import signal
import sys
import warnings

# A test relay has no TLS: aiosmtpd's warnings about AUTH in clear text (and
# its own deprecated `login_data`) are expected here and only add noise.
warnings.filterwarnings("ignore", module="aiosmtpd")
warnings.filterwarnings("ignore", message=".*login_data.*")
logging.getLogger("mail.log").setLevel(logging.ERROR)

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def header_key(content):
    headers = email.parser.BytesHeaderParser().parsebytes(content)
    return headers.get("X-Jiaoban-Key")


class Sink:
    """aiosmtpd handler: one numbered file per accepted message."""

    def __init__(self, directory, refuse_one_in=0, slow_ms=0, seed=None):
        self.directory = directory
        self.refuse_one_in = refuse_one_in
        self.slow_ms = slow_ms
        self.random = random.Random(seed)
        # Go on from an earlier run in the same folder (a restart).
        numbers = [int(n.split(".")[0]) for n in os.listdir(directory) if n.endswith(".eml") and n.split(".")[0].isdigit()]
        self.count = max(numbers, default=0)
        self.log = open(os.path.join(directory, "log.jsonl"), "a", encoding="utf-8")

    def record(self, key, outcome):
        self.log.write(json.dumps({"n": self.count, "key": key, "outcome": outcome}, ensure_ascii=False) + "\n")
        self.log.flush()

    async def handle_DATA(self, server, session, envelope):
        if self.slow_ms:
            await asyncio.sleep(self.random.uniform(0, self.slow_ms) / 1000)
        key = header_key(envelope.original_content)
        if self.refuse_one_in and self.random.randrange(self.refuse_one_in) == 0:
            self.record(key, "refused")
            return "451 Requested action aborted: try again later"
        self.count += 1
        self.record(key, "accepted")
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
    sink = Sink(args.dir, args.refuse_one_in, args.slow_ms, args.seed)
    options = {"hostname": "smtp-sink.test", "decode_data": False}
    if args.auth:
        options.update(authenticator=authenticator_for(args.auth), auth_required=True, auth_require_tls=False)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(sink, **options), "127.0.0.1", args.port, reuse_address=True)
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
    parser.add_argument("--refuse-one-in", type=int, default=0, help="answer 451 to a random one in N messages")
    parser.add_argument("--slow-ms", type=int, default=0, help="wait up to MS ms before answering DATA")
    parser.add_argument("--seed", type=int, help="seed for the faults")
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
