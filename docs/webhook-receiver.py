#!/usr/bin/env python3
"""A webhook receiver for trying Kinerja's webhooks: prints each event and checks its signature.

    python3 docs/webhook-receiver.py 9000 whsec_...   # the secret shown when you registered

Standard Webhooks: the HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}" under the
secret's bytes, base64, in `webhook-signature` as "v1,<signature>". Standard library only.
"""
import base64, hashlib, hmac, json, sys, time
from http.server import BaseHTTPRequestHandler, HTTPServer

PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 9000
KEY = base64.b64decode(sys.argv[2].removeprefix("whsec_")) if len(sys.argv) > 2 else None


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        msg_id, stamp = self.headers.get("webhook-id", ""), self.headers.get("webhook-timestamp", "0")
        signed = f"{msg_id}.{stamp}.".encode() + body
        expected = "v1," + base64.b64encode(hmac.new(KEY or b"", signed, hashlib.sha256).digest()).decode()
        given = self.headers.get("webhook-signature", "").split(" ")
        fresh = abs(time.time() - int(stamp)) < 300
        valid = KEY is not None and fresh and any(hmac.compare_digest(expected, s) for s in given)
        event = json.loads(body or b"{}")
        verdict = "signature ok" if valid else "SIGNATURE NOT VERIFIED"
        print(f"{event.get('type')} {event.get('subject_id')} ({verdict}) {json.dumps(event.get('data'))}", flush=True)
        self.send_response(204 if valid or KEY is None else 401)
        self.end_headers()

    def log_message(self, *args):
        pass


print(f"listening on http://127.0.0.1:{PORT}/", flush=True)
HTTPServer(("127.0.0.1", PORT), Receiver).serve_forever()
