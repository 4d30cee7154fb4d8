"""A Postmark API on loopback implementing the documented endpoints the product uses: sending
(``POST /email``, ``POST /email/batch``) and the outbound message search (``GET /messages/outbound``
with ``count``, ``offset``, ``recipient``, ``tag`` and ``metadata_<key>`` filters). It keeps what it
accepted, so a test counts at the far end."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

TOKEN = "loopback-server-token"


class PostmarkServer:
    def __init__(self, *, delay: float = 0.0):
        self.delay = delay
        self.messages: list[dict] = []
        self.searches = 0
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _answer(self, status: int, body) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _authorised(self) -> bool:
                if self.headers.get("X-Postmark-Server-Token") == TOKEN:
                    return True
                self._answer(401, {"ErrorCode": 10, "Message": "Bad or missing Server API token."})
                return False

            def do_POST(self):
                if not self._authorised():
                    return
                payload = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                path = urlsplit(self.path).path
                if path == "/email":
                    self._answer(200, server.accept(payload))
                elif path == "/email/batch":
                    self._answer(200, [server.accept(message) for message in payload])
                else:
                    self._answer(404, {"ErrorCode": 404, "Message": "not found"})

            def do_GET(self):
                if not self._authorised():
                    return
                url = urlsplit(self.path)
                if url.path != "/messages/outbound":
                    self._answer(404, {"ErrorCode": 404, "Message": "not found"})
                    return
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if "count" not in query or "offset" not in query or int(query["count"]) > 500:
                    self._answer(422, {"ErrorCode": 1, "Message": "count (max 500) and offset are required"})
                    return
                self._answer(200, server.search(query))

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def accept(self, message: dict) -> dict:
        if self.delay:
            time.sleep(self.delay)
        record = {
            "MessageID": str(uuid.uuid4()),
            "To": message["To"],
            "Recipients": [address.strip() for address in message["To"].split(",")],
            "Tag": message.get("Tag", ""),
            "Metadata": message.get("Metadata") or {},
            "Subject": message.get("Subject", ""),
            "Status": "Sent",
            "ReceivedAt": time.strftime("%Y-%m-%dT%H:%M:%S"),
        }
        with self.lock:
            self.messages.append(record)
        return {"To": message["To"], "SubmittedAt": record["ReceivedAt"], "MessageID": record["MessageID"],
                "ErrorCode": 0, "Message": "OK"}  # fmt: skip

    def search(self, query: dict) -> dict:
        with self.lock:
            self.searches += 1
            found = list(reversed(self.messages))  # newest first, as documented
        if "recipient" in query:
            found = [m for m in found if query["recipient"] in m["Recipients"]]
        if "tag" in query:
            found = [m for m in found if m["Tag"] == query["tag"]]
        for key, value in query.items():
            if key.startswith("metadata_"):
                found = [m for m in found if str(m["Metadata"].get(key[len("metadata_") :])) == value]
        offset, count = int(query["offset"]), int(query["count"])
        page = [
            {**m, "To": [{"Email": r, "Name": ""} for r in m["Recipients"]]} for m in found[offset : offset + count]
        ]
        return {"TotalCount": len(found), "Messages": page}

    def counts(self) -> Counter[str]:
        with self.lock:
            return Counter(r for m in self.messages for r in m["Recipients"])

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
