"""The built-in pack against the small simulated sale's planted incidents (incidents.json): each incident is
caught by its rule, for its team, within two evaluation intervals of its start, and the clean hour before
each raises few false alerts. Incidents the pack does not yet catch in time are declared (strict xfail, with
the reason measured), not skipped: fixing one turns its xfail into a failure to be removed."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from warroom.alerts import builtin_rules, samples
from warroom.alerts.backtest import STEP, backtest
from warroom.alerts.detection import EXPECTED, Score, score
from warroom.simulate.replay import Replayer
from warroom.warehouse import Warehouse

SHANGHAI = ZoneInfo("Asia/Shanghai")
BEFORE = timedelta(hours=1)  # the clean stretch replayed before each incident (its `lead` added)
FEW = 10  # false alerts allowed over all the clean stretches together

# Measured on this small sale (scale 0.05, after the fixes of issue 8's second pass): at 1/20 of the traffic
# these incidents show late or below the rules' evidence gates, which are set from scale 1, where
# bench/alerts.py catches all four within 2 intervals. The negative margin needs no traffic: the mispriced
# promotion is read from the promotions themselves (promo_priced_below_cost), at any scale.
LATE = {
    "payment-latency-surge": "scale 0.05: latency_p99_high first reads it at 00:06 (6 intervals): few requests",
    "roi-collapse": "scale 0.05: missed; ads_video's hours hold under cost_per_visit's min_volume of 10 visits",
    "refund-spike": "scale 0.05: missed; 家居 has under refund_spike's min_volume of 5 refunds an hour",
}


@pytest.fixture(scope="module")
def scored(small_sim: Path, tmp_path_factory) -> tuple[Score, list]:
    incidents = json.loads((small_sim / "incidents.json").read_text())
    wh = Warehouse(tmp_path_factory.mktemp("detection") / "w.duckdb")
    Replayer(small_sim, wh).load_history(datetime(2026, 11, 12, tzinfo=UTC))
    notes = []
    spans = []
    for i in incidents:
        if i["kind"] in EXPECTED:
            start = samples.alert_time(datetime.fromisoformat(i["start"]))
            # 2 h and a minute after: an hourly rule's (every: 1h) two intervals, and the minute that judges
            spans.append((start - BEFORE - EXPECTED[i["kind"]].lead, start + timedelta(hours=2, minutes=1)))
    merged: list[list[datetime]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    for a, b in merged:
        notes += backtest(wh, builtin_rules(), a, b, tz=SHANGHAI)
    result = score(notes, incidents, STEP, every={r.id: r.every for r in builtin_rules()})
    # An unplanned SKU that really sold out is no false alert: asked of the inventory rows directly.
    sql = "SELECT count(*) FROM inventory WHERE sku_id = ? AND on_hand = 0 AND ts >= ? AND ts < ?"
    con = wh.cursor()
    real = [
        n for n in result.false_alerts
        if n.rule_id.startswith("stock_")
        and con.execute(sql, [int(dict(n.labels)["sku_id"]), n.at - timedelta(hours=1), n.at + timedelta(hours=4)]).fetchone()[0]
    ]  # fmt: skip
    wh.close()
    return result, [n for n in result.false_alerts if n not in real]


def _cases():
    out = []
    for ident in (
        "payment-latency-surge", "negative-margin-sku", "roi-collapse", "refund-spike", "source-gap",
        "hot-sku-stockout",
    ):  # fmt: skip
        marks = [pytest.mark.xfail(strict=True, reason=LATE[ident])] if ident in LATE else []
        out.append(pytest.param(ident, marks=marks))
    return out


@pytest.mark.parametrize("incident", _cases())
def test_incident_caught_for_its_team_within_two_intervals(scored, incident):
    (d,) = [d for d in scored[0].detections if d.incident == incident]
    assert not d.wrong_team
    assert d.at is not None, f"{incident} was not caught"
    assert d.intervals <= 2, f"{incident} caught by {d.rule_id} {d.intervals:.1f} intervals after its start"


def test_every_listed_incident_is_scored(scored, small_sim):
    listed = {i["id"] for i in json.loads((small_sim / "incidents.json").read_text())}
    assert {d.incident for d in scored[0].detections} == listed


def test_clean_stretches_raise_few_false_alerts(scored):
    _, false = scored
    assert len(false) <= FEW, [(n.rule_id, n.labels, n.at) for n in false]
