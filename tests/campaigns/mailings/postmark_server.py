"""A Postmark API on loopback implementing the documented endpoints the product uses: sending
(``POST /email``, ``POST /email/batch``) and the outbound message search (``GET /messages/outbound``
with ``count``, ``offset``, ``recipient``, ``tag`` and ``metadata_<key>`` filters). It keeps what it
accepted, so a test counts at the far end.

As documented for the batch endpoint: at most 500 messages and 50 MB per call (else the call is
refused with 422), answered 200 with one result per message in order, each with its own
``ErrorCode``: 406 for an address marked ``inactive``, 300 for a message over 10 MB. ``batches``
lists the size of each batch call taken; ``failing`` scripts a batch call by its number (1, 2, …):
an HTTP status to answer with, or ``"drop"`` (take the messages, then close the connection without
an answer, as when the answer is lost)."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

TOKEN = "loopback-server-token"
MB = 1024 * 1024


class PostmarkServer:
    def __init__(self, *, delay: float = 0.0):
        self.delay = delay
        self.messages: list[dict] = []
        self.searches = 0
        self.inactive: set[str] = set()
        self.batches: list[int] = []
        self.failing: dict[int, int | str] = {}
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
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                payload = json.loads(body)
                path = urlsplit(self.path).path
                if path == "/email":
                    answer = server.accept(payload)
                    self._answer(200 if answer["ErrorCode"] == 0 else 422, answer)
                elif path == "/email/batch":
                    if len(payload) > 500 or len(body) > 50 * MB:
                        self._answer(422, {"ErrorCode": 300, "Message": "A batch takes 500 messages and 50 MB."})
                        return
                    with server.lock:
                        server.batches.append(len(payload))
                        script = server.failing.get(len(server.batches))
                    if isinstance(script, int):
                        self._answer(script, {"ErrorCode": 100, "Message": "scripted failure"})
                        return
                    answers = [server.accept(message) for message in payload]
                    if script == "drop":  # taken, but the answer is lost
                        self.close_connection = True
                        return
                    self._answer(200, answers)
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
        inactive = [a.strip().lower() for a in message["To"].split(",") if a.strip().lower() in self.inactive]
        if inactive:
            return {"ErrorCode": 406, "Message": "You tried to send to a recipient that has been marked as "
                    f"inactive.\nFound inactive addresses: {', '.join(inactive)}.\nInactive recipients are ones "
                    "that have generated a hard bounce or a spam complaint. "}  # fmt: skip
        if len(json.dumps(message)) > 10 * MB:
            return {"ErrorCode": 300, "Message": "Message size exceeds 10 MB."}
        headers = {h["Name"]: h["Value"] for h in message.get("Headers") or []}
        record = {
            "MessageID": str(uuid.uuid4()),
            "To": message["To"],
            "Recipients": [address.strip() for address in message["To"].split(",")],
            "Tag": message.get("Tag", ""),
            "Metadata": message.get("Metadata") or {},
            "Subject": message.get("Subject", ""),
            "MessageIdHeader": headers.get("Message-ID", ""),
            "Attachments": [
                (a["Name"], a["ContentType"], base64.b64decode(a["Content"])) for a in message.get("Attachments") or []
            ],  # fmt: skip
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
            {
                **{k: v for k, v in m.items() if k != "Attachments"},
                "To": [{"Email": r, "Name": ""} for r in m["Recipients"]],
            }
            for m in found[offset : offset + count]
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
