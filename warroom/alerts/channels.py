"""The configured delivery channels: a YAML file (WARROOM_ALERT_CHANNELS) of name -> channel settings.

    channels:
      ops_chat:   {type: dingtalk, url: "https://oapi.dingtalk.com/robot/send?access_token=...",
                   secret: "${DINGTALK_OPS_SECRET}", lang: zh}
      tech_email: {type: email, host: smtp.example.com, port: 587, starttls: true, sender: warroom@example.com,
                   recipients: [oncall@example.com], username: warroom, password: "${SMTP_PASSWORD}"}

A whole value `${NAME}` is read from the environment variable NAME, so the file can be kept in version
control without its secrets. Fields per type: warroom/alerts/notify/ (build_channel names what is wrong).
"""

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from warroom.alerts.notify import Channel, build_channel
from warroom.errors import UserError

_ENV = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")


def _resolve(value: Any, where: str, env: Mapping[str, str]) -> Any:
    if isinstance(value, list):
        return [_resolve(v, where, env) for v in value]
    match = _ENV.match(value) if isinstance(value, str) else None
    if match is None:
        return value
    if match[1] not in env:
        raise UserError(f"{where}: environment variable {match[1]} is not set; export it or write the value")
    return env[match[1]]


def parse_channels(
    text: str, source: str, *, base_url: str = "", env: Mapping[str, str] | None = None
) -> dict[str, Channel]:
    env = os.environ if env is None else env
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise UserError(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(doc, dict) or set(doc) != {"channels"} or not isinstance(doc["channels"], dict):
        raise UserError(f"{source}: expected a mapping with one key, channels: {{name: {{type: ..., ...}}}}")
    out = {}
    for name, spec in doc["channels"].items():
        if not isinstance(spec, dict):
            raise UserError(f"{source}: channel {name!r}: expected a mapping of settings")
        resolved = {k: _resolve(v, f"{source}: channel {name!r} field {k}", env) for k, v in spec.items()}
        out[str(name)] = build_channel(str(name), resolved, base_url=base_url)
    return out


def load_channels(path: Path | None, *, base_url: str = "") -> dict[str, Channel]:
    """The channels of the file at `path`; none when no file is configured."""
    if path is None:
        return {}
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(
            f"cannot read alert channel file {path} (WARROOM_ALERT_CHANNELS): {exc.strerror}"
        ) from None
    return parse_channels(text, str(path), base_url=base_url)
