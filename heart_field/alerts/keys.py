"""The server's VAPID key pair, which signs every push request (RFC 8292).

Taken from HEART_VAPID_PRIVATE_KEY (PEM, or base64url DER or raw) when set; otherwise kept in
instance/vapid_private.pem, made on the first run. Every process and instance must sign with
the same key: the browsers' subscriptions are bound to its public half, so a new key means
every phone must turn alerts on again.
"""

import base64
import os
import time
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid


def load_or_create(configured: str | None, key_file: Path) -> Vapid:
    if configured:
        text = configured.strip()
        if text.startswith("-----BEGIN"):
            return Vapid.from_pem(text.encode())
        return Vapid.from_string(text)
    try:
        return Vapid.from_pem(key_file.read_bytes())
    except FileNotFoundError:
        pass
    vapid = Vapid()
    vapid.generate_keys()
    try:
        # O_EXCL: of several workers starting at once, one writes the key and the rest read it.
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_when_written(key_file)
    with os.fdopen(fd, "wb") as out:
        out.write(vapid.private_pem())
    return vapid


def application_server_key(vapid: Vapid) -> str:
    """The public key as the browser's pushManager.subscribe() takes it (base64url, no padding)."""
    raw = vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _read_when_written(key_file: Path) -> Vapid:
    """Another process has just created the file: wait for it to finish writing."""
    for _ in range(50):
        try:
            return Vapid.from_pem(key_file.read_bytes())
        except ValueError:
            time.sleep(0.1)
    return Vapid.from_pem(key_file.read_bytes())
