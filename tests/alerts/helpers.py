"""Shared builders for the alert tests: a rule with sensible test defaults, minute series, batches."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from warroom.alerts.evaluate import evaluate
from warroom.alerts.rules import Rule, Threshold

T0 = datetime(2025, 11, 11, 2, 0, tzinfo=UTC)  # 10:00 on Double 11 in Shanghai
MIN = timedelta(minutes=1)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def make_rule(**overrides) -> Rule:
    values = dict(
        id="r",
        metric="m",
        condition=Threshold(">", 10.0, 10.0),
        window=MIN,
        reduce="avg",
        hold_for=timedelta(0),
        clear_for=timedelta(0),
        repeat=timedelta(minutes=10),
        severity="warning",
        team="ops",
        channels=("ops_chat",),
        message_zh="{metric} 值 {value:.0f}",
        message_en="{metric} is {value:.0f} (limit {threshold:.0f}) {labels}",
        link="/ops?{labels_query}",
    )
    values.update(overrides)
    return Rule(**values)


def minutes(values, start: int = 0):
    """Points one minute apart from at(start): [(at(start), v0), (at(start+1), v1), ...]."""
    return [(at(start + i), float(v)) for i, v in enumerate(values)]


def run(rule, series_by_labels, ticks, **mutes):
    """Evaluate at each tick (minutes after T0), feeding back the states; returns [(tick, notes, states)]."""
    states, out = {}, []
    for tick in ticks:
        states, notes = evaluate(rule, series_by_labels, states, at(tick), **mutes)
        out.append((tick, notes, states))
    return out


def kinds(history):
    """[(tick, kind, labels)] of every notification in a run."""
    return [(tick, n.kind, n.labels) for tick, notes, _ in history for n in notes]


def failing_payments(t0: datetime) -> list[dict]:
    """Two payment attempts a minute for 15 minutes from t0: in minutes 0-4 one of the two fails (50%),
    in minutes 5-14 none does."""

    def pay(i: int, minute: float, failed: bool) -> dict:
        return {
            "payment_id": i, "order_id": i, "ts": t0 + timedelta(minutes=minute), "method": "alipay",
            "status": "failed" if failed else "success", "failure_code": "TIMEOUT" if failed else None,
            "amount": Decimal("10.00"),
        }  # fmt: skip

    return [pay(2 * m, m + 0.2, True) for m in range(5)] + [pay(2 * m + 1, m + 0.6, False) for m in range(15)]
