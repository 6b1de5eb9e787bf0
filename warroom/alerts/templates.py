"""Message and link templates: Python str.format with named fields, checked when the rule file loads.

str.format rather than Jinja2: alert messages are one line with a few numbers, format specs such as
`{value:.1%}` cover them, and a template cannot run code. The fields a template may use:

  rule_id, metric, severity, team, status (firing | resolved), since (local time the alert fired),
  value (the reading: the metric over the window; minutes without data for `absent` rules),
  threshold (the rule's number: the limit, the change in %, the z-score limit, or the minutes),
  reference (what the value was compared with: previous window, baseline day, trailing median),
  change (% change vs reference, or the robust z-score for anomaly rules),
  labels (`{labels}` is "k=v, k=v"; `{labels[sku_id]}` is one value), labels_query (URL-encoded labels).

A number that is not known (no data) renders as "-" whatever its format spec.
"""

import string
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

FIELDS = frozenset(
    {
        "rule_id", "metric", "severity", "team", "status", "since", "value", "threshold",
        "reference", "change", "labels", "labels_query",
    }
)  # fmt: skip


class Maybe:
    """A number that may be unknown: formats with its spec, or as "-" when None."""

    def __init__(self, value: float | None) -> None:
        self.value = value

    def __format__(self, spec: str) -> str:
        return "-" if self.value is None else format(self.value, spec)


class LabelView(dict):
    """Labels for templates: `{labels}` is "k=v, k=v"; a label the alert lacks renders as "-"."""

    def __format__(self, spec: str) -> str:
        return format(", ".join(f"{k}={v}" for k, v in self.items()), spec)

    def __missing__(self, key: str) -> str:
        return "-"


def template_fields(
    *,
    rule_id: str,
    metric: str,
    severity: str,
    team: str,
    status: str,
    since: str,
    value: float | None,
    threshold: float | None,
    reference: float | None,
    change: float | None,
    labels: Mapping[str, str],
) -> dict[str, Any]:
    return {
        "rule_id": rule_id,
        "metric": metric,
        "severity": severity,
        "team": team,
        "status": status,
        "since": since,
        "value": Maybe(value),
        "threshold": Maybe(threshold),
        "reference": Maybe(reference),
        "change": Maybe(change),
        "labels": LabelView(labels),
        "labels_query": urlencode(dict(labels)),
    }


def render(template: str, fields: Mapping[str, Any]) -> str:
    return template.format_map(fields)


def check(template: str) -> str | None:
    """Why this template cannot render (unknown field, bad syntax or format spec), or None if it can."""
    try:
        for _, name, _, _ in string.Formatter().parse(template):
            if name is None:
                continue
            base = name.split(".", 1)[0].split("[", 1)[0]
            if base not in FIELDS:
                return f"unknown field {{{base}}}; the fields are: {', '.join(sorted(FIELDS))}"
        sample = template_fields(
            rule_id="r", metric="m", severity="warning", team="ops", status="firing", since="00:00",
            value=1.5, threshold=1.0, reference=1.0, change=50.0, labels={"k": "v"},
        )  # fmt: skip
        render(template, sample)
    except (ValueError, KeyError, IndexError, AttributeError, TypeError) as exc:
        return f"template does not render: {exc}"
    return None
