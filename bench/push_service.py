"""A Web Push service of our own, on this machine: it receives what pywebpush sends, checks
the VAPID token (audience, expiry, signature against the server's public key) and decrypts
the payload with http_ece using the keys of the "browser" it made the subscription for.

There is no internet here, so no browser can subscribe through a real push service; every
part the server uses is real, only the service is this one. Used by tests/web/test_alerts.py
and bench/push_latency.py.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Refused(Exception):
    """The push request would be refused by a real push service."""


@dataclass
class Browser:
    """One browser's subscription keys (what pushManager.subscribe() makes)."""

    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth_secret: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def p256dh(self) -> str:
        return b64url(
            self.private_key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )

    @property
    def auth(self) -> str:
        return b64url(self.auth_secret)

    def decrypt(self, body: bytes) -> dict:
        plain = http_ece.decrypt(
            body, private_key=self.private_key, auth_secret=self.auth_secret, version="aes128gcm"
        )
        return json.loads(plain)


def check_vapid(authorization: str, audience: str, server_public_key: str) -> dict:
    """The claims of a valid `vapid t=...,k=...` header; raises Refused otherwise."""
    scheme, _, rest = authorization.partition(" ")
    if scheme.lower() != "vapid":
        raise Refused(f"scheme {scheme!r}")
    parts = dict(item.split("=", 1) for item in rest.split(","))
    if parts.get("k") != server_public_key:
        raise Refused("signed with another key")
    header_b64, claims_b64, signature_b64 = parts["t"].split(".")
    header = json.loads(unb64url(header_b64))
    claims = json.loads(unb64url(claims_b64))
    if header.get("alg") != "ES256":
        raise Refused(f"alg {header.get('alg')!r}")
    signature = unb64url(signature_b64)
    public_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(parts["k"]))
    der = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    try:
        public_key.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as error:
        raise Refused("bad signature") from error
    if claims.get("aud") != audience:
        raise Refused(f"audience {claims.get('aud')!r}")
    now = time.time()
    if not now < claims.get("exp", 0) <= now + 24 * 3600:  # RFC 8292: at most 24 h ahead
        raise Refused("expired or too far ahead")
    if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
        raise Refused("no subject")
    return claims


@dataclass
class Received:
    path: str
    headers: dict  # names in lower case
    body: bytes
    at: float  # time.perf_counter() when it arrived


class PushService:
    """An HTTP push service on a free local port. `answer` is the status it gives (201 as a
    real one does); `delay` seconds it waits before answering (a slow service)."""

    def __init__(self, server_public_key: str, answer: int = 201, delay: float = 0.0):
        self.server_public_key = server_public_key
        self.answer = answer
        self.delay = delay
        self.received: list[Received] = []
        self.refusals: list[str] = []
        self._arrived = threading.Condition()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                at = time.perf_counter()
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    check_vapid(
                        self.headers.get("Authorization", ""), service.origin, server_public_key
                    )
                    status = service.answer
                except (Refused, KeyError, ValueError) as refused:
                    service.refusals.append(str(refused))
                    status = 401
                if service.delay:
                    time.sleep(service.delay)
                with service._arrived:
                    service.received.append(
                        Received(
                            self.path, {k.lower(): v for k, v in self.headers.items()}, body, at
                        )
                    )
                    service._arrived.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def endpoint(self, name: str) -> str:
        return f"{self.origin}/push/{name}"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.received) < count and time.monotonic() < deadline:
                self._arrived.wait(deadline - time.monotonic())
        return list(self.received)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
