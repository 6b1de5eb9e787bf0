"""Real receivers for the delivery tests: an HTTP server on 127.0.0.1 that records every request and
checks DingTalk and Feishu signatures with its own code, and an SMTP server (aiosmtpd) that records mail."""

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller

DING_SECRET = "SECdingtalk-test-secret"
FEISHU_SECRET = "feishu-test-secret"


@dataclass
class Recorded:
    path: str
    query: dict[str, list[str]]
    raw_query: str
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


def _dingtalk_ok(query: dict[str, list[str]]) -> bool:
    # DingTalk's rule, written out independently of warroom: HMAC-SHA256 keyed by the secret over
    # "timestamp\nsecret", Base64; parse_qs has already undone the URL-encoding.
    timestamp, sign = query.get("timestamp", [""])[0], query.get("sign", [""])[0]
    digest = hmac.new(DING_SECRET.encode(), f"{timestamp}\n{DING_SECRET}".encode(), hashlib.sha256).digest()
    return bool(timestamp) and hmac.compare_digest(base64.b64encode(digest).decode(), sign)


def _feishu_ok(body: dict) -> bool:
    # Feishu's rule: the KEY is "timestamp\nsecret", the message is empty.
    timestamp, sign = str(body.get("timestamp", "")), str(body.get("sign", ""))
    digest = hmac.new(f"{timestamp}\n{FEISHU_SECRET}".encode(), b"", hashlib.sha256).digest()
    return bool(timestamp) and hmac.compare_digest(base64.b64encode(digest).decode(), sign)


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        parts = urlsplit(self.path)
        rec = Recorded(parts.path, parse_qs(parts.query), parts.query, dict(self.headers), body)
        self.server.recorded.append(rec)
        if parts.path == "/dingtalk":
            ok = _dingtalk_ok(rec.query)
            self._json(
                200, {"errcode": 0, "errmsg": "ok"} if ok else {"errcode": 310000, "errmsg": "sign not match"}
            )
        elif parts.path == "/feishu":
            ok = _feishu_ok(rec.json())
            self._json(
                200, {"code": 0, "msg": "success"} if ok else {"code": 19021, "msg": "sign match fail"}
            )
        elif parts.path in ("/wecom", "/webhook"):
            self._json(200, {"errcode": 0, "errmsg": "ok"})
        elif parts.path == "/slack":
            self._text(200, "ok")
        elif parts.path == "/too-fast":
            self._json(200, {"errcode": 130101, "errmsg": "send too fast"})
        elif parts.path == "/fail500":
            self._text(500, "internal error")
        elif parts.path == "/bad400":
            self._text(400, "invalid_payload")
        elif parts.path == "/slow":
            time.sleep(1.5)
            self._text(200, "ok")
        else:
            self._text(404, "no_service")

    def _json(self, status: int, payload: dict) -> None:
        self._text(status, json.dumps(payload), "application/json")

    def _text(self, status: int, text: str, kind: str = "text/plain") -> None:
        data = text.encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (the timeout test): nothing to answer


class Receiver:
    def __init__(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.recorded = []
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def recorded(self) -> list[Recorded]:
        return self.server.recorded

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def free_port() -> int:
    """A port nothing listens on (bound then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MailBox:
    def __init__(self) -> None:
        self.envelopes = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.endswith("@nowhere.invalid"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted"


@pytest.fixture
def smtp_server():
    box = MailBox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield box, controller.port
    controller.stop()


@pytest.fixture
def tls_smtp_server(tmp_path):
    """An SMTP server that requires STARTTLS, with a throwaway self-signed certificate for 127.0.0.1."""
    import shutil
    import ssl
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate for the STARTTLS test")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    box = MailBox()
    controller = Controller(
        box, hostname="127.0.0.1", port=free_port(), tls_context=context, require_starttls=True
    )
    controller.start()
    yield box, controller.port, str(cert)
    controller.stop()
