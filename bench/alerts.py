"""The built-in alert rules against the simulated sale's planted incidents, and one evaluation cycle's cost.

    .venv/bin/python bench/alerts.py [--scale 1] [--seed 11] [--hours-before 6] [--data DIR]

1. Detection: simulate (or reuse DIR/sim<scale>), load it all into a fresh warehouse file, then backtest the
   built-in rule pack (warroom/alerts/backtest.py: the live tick's evaluation and batched fetch, at 1-minute
   steps) over stretches around every incident of incidents.json that a rule is meant to catch: from
   `--hours-before` hours before its start (clean, unless another incident is near) to an hour after.
   warroom/alerts/detection.py scores it: per incident, the first catching rule, its team and the time to
   detect in evaluation intervals (goal <= 2); every firing that caught nothing is a false alert, except
   stock alerts whose SKU the inventory table shows really sold out within 4 h (counted apart).
2. Cycle: 500 rules made from the built-in ones (thresholds x0.8-1.2, `for` 0-3 min, severities; then again
   with one in five narrowed by a filter on one of its labels' values seen in the data), each minute from 23:50 to
   00:10 around the midnight rush, through scheduler.tick as the server runs it (batched fetch, evaluate,
   states and outbox in a SQLite store). The baseline in the same run: the same rules' samples fetched one
   rule at a time, as the tick did before warroom/alerts/batch.py.
The last line is one JSON object.
"""

import argparse
import json
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from warroom.alerts import batch, builtin_rules, samples
from warroom.alerts.backtest import STEP, backtest
from warroom.alerts.detection import EXPECTED, score
from warroom.alerts.rules import Absent, Anomaly, BaselineChange, Change, Rule, Threshold
from warroom.alerts.scheduler import tick
from warroom.meta import open_metadata
from warroom.simulate import simulate
from warroom.simulate.replay import Replayer
from warroom.warehouse import Warehouse

TZ = ZoneInfo("Asia/Shanghai")
RUSH = datetime(2026, 11, 10, 23, 50, tzinfo=TZ)  # the busiest minutes of the sale, and an incident
CYCLE_TICKS = 20
SEVERITIES = ("critical", "warning", "info")


def stretches(incidents: list[dict], before: timedelta) -> list[tuple[datetime, datetime]]:
    """[start - before - lead, start + 2 h] per scored incident (an hourly rule's two intervals, and the
    minute it judges the second), merged where they overlap."""
    spans = []
    for i in incidents:
        if i["kind"] in EXPECTED:
            start = datetime.fromisoformat(i["start"])
            after = timedelta(hours=2, minutes=1)
            spans.append((start - before - EXPECTED[i["kind"]].lead, start + after))
    merged: list[list[datetime]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(samples.alert_time(a), samples.alert_time(b)) for a, b in merged]


def detection(wh: Warehouse, incidents: list[dict], before: timedelta) -> dict:
    rules = builtin_rules()
    notes, minutes = [], 0
    started = time.perf_counter()
    for a, b in stretches(incidents, before):
        notes += backtest(wh, rules, a, b, tz=TZ)
        minutes += int((b - a) / STEP)
    took = time.perf_counter() - started
    result = score(notes, incidents, STEP, every={r.id: r.every for r in rules})
    print(f"backtest: {len(rules)} rules, {minutes} one-minute steps ({minutes / 60:.0f} h) in {took:.1f} s")
    for d in result.detections:
        local = d.start.astimezone(TZ).strftime("%m-%d %H:%M")
        if d.at is None:
            extra = f" (fired for the wrong team: {', '.join(d.wrong_team)})" if d.wrong_team else ""
            print(f"  {d.incident:22s} {local} team {d.team:7s} MISSED{extra}")
        else:
            ok = "ok" if d.intervals <= 2 else "late"
            unit = {r.id: r.every for r in rules}[d.rule_id]
            print(f"  {d.incident:22s} {local} team {d.team:7s} caught by {d.rule_id} "
                  f"at {d.at.astimezone(TZ):%H:%M}: {d.intervals:+.1f} intervals of {unit} ({ok})")  # fmt: skip
    sold_out = [n for n in result.false_alerts if sells_out(wh, n)]
    false = [n for n in result.false_alerts if n not in sold_out]
    by_rule = Counter(n.rule_id for n in false)
    print(f"stock alerts on SKUs not planted that did sell out within 4 h (inventory): {len(sold_out)}")
    print(f"false alerts: {len(false)} " + (str(dict(by_rule)) if by_rule else ""))
    for n in false:
        print(f"  {n.at.astimezone(TZ):%m-%d %H:%M} {n.rule_id} {dict(n.labels)} {n.summary_en}")
    fired = result.caught + len(result.false_alerts)
    print(f"recall {result.recall:.2f}, precision {result.precision:.2f} "
          f"({result.caught} catching firings), max time to detect {result.max_detect_intervals} intervals")  # fmt: skip
    return {
        "recall": round(result.recall, 3),
        "precision": round(result.precision, 3),
        "max_detect_intervals": result.max_detect_intervals,
        "detect_intervals": {
            d.incident: (round(d.intervals, 2) if d.intervals is not None else None)
            for d in result.detections
        },
        "false_alerts": len(false),
        "unplanned_sellouts_alerted": len(sold_out),
        "precision_counting_real_sellouts": round((result.caught + len(sold_out)) / fired, 3)
        if fired
        else 1.0,
        "backtest_hours": round(minutes / 60, 1),
    }


def sells_out(wh: Warehouse, note) -> bool:
    """Independent of the rules: did this stock alert's SKU really hit 0 within 4 hours (inventory rows)?"""
    if not note.rule_id.startswith("stock_"):
        return False
    sku = dict(note.labels)["sku_id"]
    # from an hour before: stock_sold_out reads the last hour's snapshots, so it may speak of a 0 just past
    sql = "SELECT count(*) FROM inventory WHERE sku_id = ? AND on_hand = 0 AND ts >= ? AND ts < ?"
    window = [int(sku), note.at - timedelta(hours=1), note.at + timedelta(hours=4)]
    (n,) = wh.cursor().execute(sql, window).fetchone()
    return n > 0


def variants(wh: Warehouse, n: int, narrow: bool) -> list[Rule]:
    """n rules from the built-in ones: other limits, holds, severities; with `narrow`, one in five of those
    with a `by` narrowed by a filter to one of its label values (each such filter is its own question)."""
    base = builtin_rules()
    seen = batch.fetch_at(wh, base, RUSH, TZ).samples  # label values that really occur, per rule
    out = []
    for i in range(n):
        rule, k = base[i % len(base)], i // len(base)
        f = 0.8 + 0.05 * (k % 9)  # x0.80 .. x1.20
        c = rule.condition
        if isinstance(c, Threshold):
            c = replace(c, limit=c.limit * f, resolve=c.resolve * f)
        elif isinstance(c, Change | BaselineChange):
            c = replace(c, pct=c.pct * f, resolve=c.resolve * f)
        elif isinstance(c, Anomaly):
            c = replace(c, z=c.z * f, resolve=c.resolve * f)
        elif isinstance(c, Absent):
            c = replace(c, after=c.after + timedelta(minutes=k % 3))
        filters = rule.filters
        values = sorted({v for labels in seen[rule.id] for _, v in labels})
        if narrow and rule.by and k % 5 == 4 and values:
            filters = ((rule.by[0], (values[k % len(values)],)),)
        out.append(
            replace(
                rule, id=f"{rule.id}_v{k}", condition=c, hold_for=timedelta(minutes=k % 4),
                severity=SEVERITIES[k % 3], filters=filters,
            )
        )  # fmt: skip
    return out


def cycle(wh: Warehouse, rules: list[Rule], meta: Path) -> dict:
    sessions = open_metadata(f"sqlite:///{meta}")
    tick(wh, sessions, rules, RUSH - timedelta(minutes=1), tz=TZ)  # compiles each query shape once
    times, notes, queries = [], 0, batch.fetch_at(wh, rules, RUSH, TZ).queries
    for m in range(CYCLE_TICKS):
        started = time.perf_counter()
        report = tick(wh, sessions, rules, RUSH + timedelta(minutes=m), tz=TZ)
        times.append(time.perf_counter() - started)
        notes += report.notifications
        assert not report.errors, report.errors
    one_by_one = []
    for m in range(3):  # the baseline: every rule asks on its own (no memo), fetch only
        started = time.perf_counter()
        for rule in rules:
            samples.fetch_samples(wh, rule, RUSH + timedelta(minutes=m), TZ)
        one_by_one.append(time.perf_counter() - started)
    fetch_only = []
    for m in range(3):
        started = time.perf_counter()
        batch.fetch_at(wh, rules, RUSH + timedelta(minutes=m), TZ)
        fetch_only.append(time.perf_counter() - started)
    out = {
        "rules": len(rules),
        "queries": queries,
        "median_s": statistics.median(times),
        "max_s": max(times),
        "fetch_batched_s": statistics.median(fetch_only),
        "fetch_one_by_one_s": statistics.median(one_by_one),
        "notifications": notes,
    }
    print(f"cycle, {len(rules)} rules ({queries} queries): tick median {out['median_s']:.3f} s, max "
          f"{out['max_s']:.3f} s over {CYCLE_TICKS} ticks ({notes} notifications); samples batched "
          f"{out['fetch_batched_s']:.3f} s vs one rule at a time {out['fetch_one_by_one_s']:.3f} s "
          f"({out['fetch_one_by_one_s'] / out['fetch_batched_s']:.1f}x)")  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--hours-before", type=float, default=6.0)
    parser.add_argument("--data", type=Path, help="keep the simulation and warehouse here (default: temp)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = args.data or Path(tmp)
        data.mkdir(parents=True, exist_ok=True)
        sim = data / f"sim{args.scale:g}-{args.seed}"
        if not (sim / "incidents.json").exists():
            simulate(sim, scale=args.scale, seed=args.seed)
        path = data / f"alerts{args.scale:g}.duckdb"
        path.unlink(missing_ok=True)
        with Warehouse(path) as wh:
            Replayer(sim, wh).load_history(datetime(2026, 11, 12, tzinfo=UTC))
            incidents = json.loads((sim / "incidents.json").read_text(encoding="utf-8"))
            print(f"scale {args.scale:g}, seed {args.seed}: {len(incidents)} incidents")
            found = detection(wh, incidents, timedelta(hours=args.hours_before))
            builtin = cycle(wh, builtin_rules(), data / "meta11.sqlite")
            many = cycle(wh, variants(wh, 500, narrow=False), data / "meta500.sqlite")
            narrowed = cycle(wh, variants(wh, 500, narrow=True), data / "meta500n.sqlite")
    summary = {
        **found,
        "eval_cycle_s_500_rules": round(many["median_s"], 3),
        "eval_cycle_s_500_rules_max": round(many["max_s"], 3),
        "queries_500_rules": many["queries"],
        "fetch_s_500_rules_batched": round(many["fetch_batched_s"], 3),
        "fetch_s_500_rules_one_by_one": round(many["fetch_one_by_one_s"], 3),
        "eval_cycle_s_500_rules_narrowed": round(narrowed["median_s"], 3),
        "eval_cycle_s_500_rules_narrowed_max": round(narrowed["max_s"], 3),
        "queries_500_rules_narrowed": narrowed["queries"],
        "fetch_s_500_rules_narrowed_one_by_one": round(narrowed["fetch_one_by_one_s"], 3),
        "eval_cycle_s_builtin_rules": round(builtin["median_s"], 3),
        "scale": args.scale,
    }
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
