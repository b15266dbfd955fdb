"""An SMTP sink for the benchmark: accepts every message and appends one line
per accepted message to a counter file, so the benchmark can poll how many
have arrived. Run with Debian's python3 (python3-aiosmtpd):

    /usr/bin/python3 scripts/smtp_sink.py PORT COUNTER_FILE
"""
import asyncio
import sys
import time

from aiosmtpd.controller import Controller


class Counter:
    def __init__(self, path):
        self.out = open(path, "a", buffering=1)

    async def handle_DATA(self, server, session, envelope):
        for rcpt in envelope.rcpt_tos:
            self.out.write(f"{time.time():.3f} {rcpt}\n")
        return "250 OK"


def main():
    port, path = int(sys.argv[1]), sys.argv[2]
    controller = Controller(Counter(path), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        asyncio.get_event_loop().run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
