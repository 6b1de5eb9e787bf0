"""Signed, expiring action links in notifications: acknowledge, claim or resolve an alert from the message.

A link is /alerts/link/<token>, the token `<outbox id>.<action>.<expires>.<mac>`: the outbox row the message
was sent from (which names the alert, its episode and the channel), one action, the expiry in Unix seconds,
and an HMAC-SHA256 of the three, keyed by the server's secret and cut to 128 bits (RFC 2104 §5 allows
truncation to half the output; 2^128 guesses is out of reach). Short on purpose: a message carries three
links per alert, and WeCom's markdown stops at 4096 bytes; a self-contained token with the alert in it was
~320 characters, this one ~45. Whoever holds a link may do that one thing to that one alert episode until
it expires, and once (the route records each used token's digest: warroom.meta.alerts.LinkUseRow). No
login: the signature is the permission.

Pure functions of (secret, claims, now); `link_secret` is the one that touches the disk: the configured
WARROOM_ALERT_LINK_SECRET, or a random one generated once into the home folder (mode 0600). It is never
logged or shown.
"""

import base64
import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from warroom.errors import UserError

ACTIONS = ("ack", "claim", "resolve")
SECRET_FILE = "alert_link_secret"
# 32 random bytes: the HMAC-SHA256 key length RFC 2104 recommends (at least the digest's 32 bytes).
SECRET_BYTES = 32
MAC_BYTES = 16
_TOKEN = re.compile(r"^(\d{1,18})\.(ack|claim|resolve)\.(\d{1,12})\.([A-Za-z0-9_-]{22})$")


class LinkError(UserError):
    """A link that cannot be used: `reason` is tampered | expired | used | gone (for the page and status)."""

    def __init__(self, reason: str, message: str, status_code: int) -> None:
        super().__init__(message)
        self.reason = reason
        self.status_code = status_code


@dataclass(frozen=True)
class LinkClaims:
    outbox_id: int
    action: str
    expires_at: datetime


def _mac(secret: bytes, outbox_id: int, action: str, expires: int) -> str:
    raw = hmac.new(secret, f"{outbox_id}.{action}.{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(raw[:MAC_BYTES]).rstrip(b"=").decode()


def sign(secret: bytes, claims: LinkClaims) -> str:
    if claims.action not in ACTIONS:
        raise ValueError(f"link action must be one of {', '.join(ACTIONS)}, got {claims.action!r}")
    expires = int(claims.expires_at.timestamp())
    return f"{claims.outbox_id}.{claims.action}.{expires}.{_mac(secret, claims.outbox_id, claims.action, expires)}"


def verify(secret: bytes, token: str, now: datetime) -> LinkClaims:
    """The link's claims, or LinkError: 400 when it was altered (or is no link of ours), 410 when expired."""
    match = _TOKEN.match(token)
    if match is None or not hmac.compare_digest(
        _mac(secret, int(match[1]), match[2], int(match[3])), match[4]
    ):
        raise LinkError(
            "tampered", "this link was altered or is not a Warroom alert link: nothing was done", 400
        )
    claims = LinkClaims(int(match[1]), match[2], datetime.fromtimestamp(int(match[3]), UTC))
    if now >= claims.expires_at:
        raise LinkError(
            "expired",
            f"this link expired at {claims.expires_at.isoformat()}: open the alerts page instead",
            410,
        )
    return claims


def digest(token: str) -> str:
    """What the store keeps of a used link: its SHA-256, not the link itself."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class LinkSigner:
    """What the sender uses to put links in the messages it sends."""

    secret: bytes
    expiry: timedelta

    def links(self, outbox_id: int, now: datetime) -> tuple[tuple[str, str], ...]:
        """(action, path) per action: /alerts/link/<token>, made at `now`, valid for `expiry`."""
        return tuple(
            (action, f"/alerts/link/{sign(self.secret, LinkClaims(outbox_id, action, now + self.expiry))}")
            for action in ACTIONS
        )


def link_secret(home: Path, configured: str) -> bytes:
    """The configured secret, or the one kept in `home` (made on first use, readable by this user only)."""
    if configured:
        return configured.encode()
    path = home / SECRET_FILE
    if path.exists():
        return path.read_bytes().strip()
    home.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(SECRET_BYTES).encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: theirs is the one
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as f:
        f.write(value)
    return value
