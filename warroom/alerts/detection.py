"""How well a backtest caught the incidents planted in a simulated sale (incidents.json): pure scoring.

Which built-in rules are meant to catch which kind of incident, for which team and on which labels, is
declared here (EXPECTED). A firing notification CATCHES an incident when its rule is one of those, its
labels are the incident's, and it fired between the incident's start (less `lead`, for warnings meant to
come first: "stock runs out in 4 h") and its end. The team is checked on the notification: a rule that
fired for another team did not catch it. Every other firing is a false alert.

    time to detect = (first catching firing - incident start) / that rule's evaluation interval

A rule judges whole minutes (samples.alert_time), so at a 1-minute interval the first possible detection
is 1 interval after the start: the minute the incident began has to end before it can be read. A rule
judged on complete hours (`every: 1h`, conditions.judged_at) is counted in its own interval, hours: such
a rule reads a fact that exists only per hour (marketing spend is booked once at the top of the hour) or
needs an hour of events to tell a spike from noise (a category's refunds, a few an hour), so the minute
cannot be judged at all and an hour later is as early as anything can know.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from warroom.alerts.notification import Notification


@dataclass(frozen=True)
class Expected:
    team: str
    rules: tuple[str, ...]
    labels: tuple[tuple[str, str], ...]  # (dimension, path in `touches`); a value ending in "-" is a prefix
    lead: timedelta = timedelta(0)


EXPECTED: dict[str, Expected] = {
    "latency_and_failures": Expected(
        "tech",
        ("payment_failure_spike", "latency_p99_high", "error_rate_5xx_high"),
        (("service", "related.api_requests.service"),),
    ),
    "negative_margin": Expected(
        "finance", ("promo_priced_below_cost", "negative_margin"), (("sku_id", "filters.sku_id"),)
    ),
    "channel_roi": Expected(
        "ops", ("channel_roi_drop", "channel_cost_per_visit_spike"), (("channel_id", "filters.channel_id"),)
    ),
    "refund_spike": Expected(
        "finance",
        ("refund_spike", "refund_rate_vs_yesterday"),
        (("category_l1", "filters.category_l1"),),
    ),
    "missing_data": Expected("tech", ("ingest_gap",), (("host", "related.host_metrics.host_prefix"),)),
    # stock_running_out's limit is 4 hours of stock: a warning up to then before the sell-out is the point
    "stockout": Expected(
        "ops",
        ("stock_running_out", "stock_sold_out_soon", "stock_sold_out"),
        (("sku_id", "filters.sku_id"),),
        timedelta(hours=4),
    ),
}


@dataclass(frozen=True)
class Detection:
    incident: str
    kind: str
    team: str
    start: datetime
    end: datetime
    rule_id: str | None  # the first rule that caught it (None: missed)
    at: datetime | None
    intervals: float | None  # time to detect in evaluation intervals (negative: warned ahead)
    wrong_team: tuple[str, ...] = ()  # matching rules that fired for another team


@dataclass(frozen=True)
class Score:
    detections: tuple[Detection, ...]
    false_alerts: tuple[Notification, ...]
    caught: int  # firing notifications that caught an incident

    @property
    def recall(self) -> float:
        return (
            sum(d.at is not None for d in self.detections) / len(self.detections) if self.detections else 0.0
        )

    @property
    def precision(self) -> float:
        fired = self.caught + len(self.false_alerts)
        return self.caught / fired if fired else 1.0

    @property
    def max_detect_intervals(self) -> float | None:
        """The slowest detection; None when an incident was missed (no time to detect at all)."""
        if not self.detections or any(d.intervals is None for d in self.detections):
            return None
        return max(d.intervals for d in self.detections)


def _lookup(touches: Mapping[str, Any], path: str) -> Any:
    """'filters.sku_id' in touches; 'related.host_metrics.host_prefix' in the related entry of that table."""
    head, *rest = path.split(".")
    if head == "related":
        table, key = rest
        return next(r["filters"][key] for r in touches.get("related", ()) if r["table"] == table)
    return touches[head][rest[0]]


def _labels_match(note: Notification, incident: Mapping[str, Any], expected: Expected) -> bool:
    got = dict(note.labels)
    for dim, path in expected.labels:
        if dim not in got:  # a rule over the whole metric (no `by`) sees every label's incident
            continue
        want = str(_lookup(incident["touches"], path))
        if not (got[dim].startswith(want) if want.endswith("-") else got[dim] == want):
            return False
    return True


def score(
    notes: Sequence[Notification],
    incidents: Sequence[Mapping[str, Any]],
    interval: timedelta,
    every: Mapping[str, timedelta] | None = None,
) -> Score:
    """Score a backtest's notifications against the incidents (only kinds in EXPECTED are scored).
    `every`: rule id -> its own evaluation interval, where it is longer than `interval`."""
    every = every or {}
    firings = [n for n in notes if n.kind == "firing"]
    caught: set[int] = set()
    detections = []
    for incident in incidents:
        expected = EXPECTED.get(incident["kind"])
        if expected is None:
            continue
        start, end = (datetime.fromisoformat(incident[k]) for k in ("start", "end"))
        first, wrong = None, set()
        for i, n in enumerate(firings):
            if n.rule_id not in expected.rules or not (start - expected.lead <= n.at <= end):
                continue
            if not _labels_match(n, incident, expected):
                continue
            if n.team != expected.team:
                wrong.add(n.rule_id)
                continue
            caught.add(i)
            if first is None or n.at < first.at:
                first = n
        detections.append(
            Detection(
                incident["id"], incident["kind"], expected.team, start, end,
                first.rule_id if first else None, first.at if first else None,
                (first.at - start) / every.get(first.rule_id, interval) if first else None,
                tuple(sorted(wrong)),
            )
        )  # fmt: skip
    false = tuple(n for i, n in enumerate(firings) if i not in caught)
    return Score(tuple(detections), false, len(caught))
