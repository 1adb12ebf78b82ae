"""A webhook receiver for the tests: listens on 127.0.0.1, checks every delivery with the
Standard Webhooks reference library (`standardwebhooks`, PyPI) and writes one JSON line per
delivery to --log: {"id", "timestamp", "type", "verified", "error", "body", "answered"}.

How it answers is set by POST /control with {"mode": "ok" | "fail" | "gone", "delay_ms": N}:
`ok` is 204, `fail` 503, `gone` 410; `delay_ms` waits before answering. The first line on
stdout is the port it listens on.

Usage: receiver.py --secret whsec_... --log FILE
"""

import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

STATUS = {"ok": 204, "fail": 503, "gone": 410}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--secret", required=True)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()

    webhook = Webhook(args.secret)
    lock = threading.Lock()
    log = open(args.log, "a", encoding="utf-8")
    behaviour = {"mode": "ok", "delay_ms": 0}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format, *args):  # quiet: the JSON lines are the record
            pass

        def body(self) -> bytes:
            length = int(self.headers.get("content-length") or 0)
            return self.rfile.read(length)

        def answer(self, status: int) -> None:
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def do_POST(self):
            body = self.body()
            if self.path == "/control":
                with lock:
                    behaviour.update(json.loads(body))
                self.answer(204)
                return
            headers = {k.lower(): v for k, v in self.headers.items()}
            verified, error, payload = False, None, None
            try:
                payload = webhook.verify(body, headers)
                verified = True
            except WebhookVerificationError as e:
                error = str(e)
            with lock:
                mode, delay = behaviour["mode"], behaviour["delay_ms"]
            status = STATUS[mode]
            record = {
                "id": headers.get("webhook-id"),
                "timestamp": headers.get("webhook-timestamp"),
                "type": (payload or {}).get("type"),
                "verified": verified,
                "error": error,
                "body": body.decode("utf-8", "replace"),
                "path": self.path,
                "content_type": headers.get("content-type"),
                "answered": status,
            }
            if delay:
                time.sleep(delay / 1000)
            with lock:
                log.write(json.dumps(record) + "\n")
                log.flush()
            self.answer(status)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    sys.stdout.close()
    server.serve_forever()


if __name__ == "__main__":
    main()
