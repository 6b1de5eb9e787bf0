"""The room's clock for CLI commands that stamp times (alert silences and acks).

The server's pages stamp acks and silences with the room's clock (the replay's simulated time in the demo,
warroom/web/runtime.py), so a CLI silence must start on that clock too, or in the demo it would start days
before (or after) the alerts it is meant to mute. The CLI is another process: it asks the running server
(GET /api/v1/health, whose `now` is the room's clock); `--at` overrides; with no server answering, the room
is the wall clock, and the command says so.
"""

from datetime import UTC, datetime

import httpx

from warroom.cli.times import parse_time
from warroom.config import Settings

ASK_TIMEOUT_S = 2.0  # a local server answers /health in milliseconds; do not hang a CLI on a dead port


def server_url(settings: Settings) -> str:
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host  # listening on all
    return f"http://{host}:{settings.port}"


def room_now(settings: Settings, at: str | None) -> tuple[datetime, str]:
    """(now in UTC, where it came from)."""
    if at:
        return parse_time(at, settings.tz, "--at").astimezone(UTC), "--at"
    url = server_url(settings) + "/api/v1/health"
    try:
        answer = httpx.get(url, timeout=ASK_TIMEOUT_S)
        answer.raise_for_status()
        now = datetime.fromisoformat(answer.json()["now"])
    except (httpx.HTTPError, KeyError, TypeError, ValueError):
        return datetime.now(UTC), f"the wall clock (no Warroom server answered at {url})"
    if now.tzinfo is None:
        return datetime.now(UTC), f"the wall clock ({url} gave a time without a zone: {now.isoformat()})"
    return now.astimezone(UTC), f"the room's clock of the server at {server_url(settings)}"
