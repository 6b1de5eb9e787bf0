"""Where the server's rules come from: WARROOM_ALERT_RULES's file instead of the built-in pack (a bad one
stops `warroom serve` at once with its file:line problems; `warroom alerts` reads it too), and a rule as data
(an API body) through the file parser, which also reads what JSON cannot write as YAML does."""

import os
import subprocess
import sys
from datetime import UTC, date, datetime

import pytest
import yaml

from warroom.alerts.located import RuleFileError
from warroom.alerts.overview import teams_of
from warroom.alerts.rule_store import create_rule
from warroom.alerts.rules import BaselineChange, Threshold
from warroom.alerts.ruleset import RuleSet, load_base, parse_definition
from warroom.alerts.scheduler import alerting_scheduler
from warroom.config import Settings
from warroom.meta import open_metadata
from warroom.meta.alert_rules import AlertRuleRow
from warroom.metrics import load_catalog
from warroom.warehouse import Warehouse

KNOWN = {"known_metrics": load_catalog().metrics}
ONE_RULE = """\
rules:
  - id: slow_checkout
    metric: latency_p99
    filters: {service: checkout}
    condition: {threshold: {op: ">", value: 800}}
    severity: warning
    team: tech
    channels: [tech_chat]
    message: {zh: "结账慢 {value:.0f}", en: "checkout slow {value:.0f}"}
"""
BROKEN = ONE_RULE.replace("latency_p99", "latency_p98").replace('">"', '"=>"')


@pytest.fixture
def run(run_cli):
    """run_cli with stdout and stderr as one text: (exit code, output)."""

    def _run(*args: str) -> tuple[int, str]:
        code, out, err = run_cli(*args)
        return code, out + err

    return _run


def test_the_server_evaluates_the_file_instead_of_the_pack(tmp_path):
    (tmp_path / "rules.yaml").write_text(ONE_RULE)
    settings = Settings(home=tmp_path, alert_rules=tmp_path / "rules.yaml")
    warehouse = Warehouse(settings.warehouse_path)
    try:
        scheduler = alerting_scheduler(
            settings, warehouse, open_metadata(settings.metadata_sqlalchemy_url), None
        )
        assert [r.id for r in scheduler.rules] == ["slow_checkout"]
        (entry,) = scheduler.rule_set.entries()
        assert (entry.source, entry.definition["filters"]) == ("file", {"service": "checkout"})
    finally:
        warehouse.close()


def test_a_bad_rule_file_stops_the_server_before_it_listens(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(BROKEN)
    with pytest.raises(RuleFileError) as caught:
        alerting_scheduler(Settings(home=tmp_path, alert_rules=path), None, None, None)
    assert [p.where for p in caught.value.problems] == [f"{path}:3", f"{path}:5"]
    # its own process, with a timeout: were the check gone, `serve` would listen for good, not fail the test
    env = {
        **os.environ,
        "WARROOM_HOME": str(tmp_path / "home"),
        "WARROOM_ALERT_RULES": str(path),
        "COLUMNS": "300",
    }
    done = subprocess.run([sys.executable, "-m", "warroom", "serve"], env=env, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    code, out = done.returncode, done.stdout + done.stderr
    assert code == 2
    assert f"{path}:3: rules[0].metric: 'latency_p98' is not a catalog metric" in out
    assert f"{path}:5: rules[0].condition.threshold.op: expected one of" in out
    assert "Warroom on" not in out  # it never started serving


def test_warroom_alerts_reads_the_setting_unless_given_rules(tmp_path, run, monkeypatch):
    (tmp_path / "rules.yaml").write_text(ONE_RULE)
    monkeypatch.setenv("WARROOM_ALERT_RULES", str(tmp_path / "rules.yaml"))
    code, out = run("alerts", "list")
    assert code == 0 and "slow_checkout" in out and "payment_failure_spike" not in out
    (tmp_path / "other.yaml").write_text(ONE_RULE.replace("slow_checkout", "other_rule"))
    code, out = run("alerts", "list", "--rules", str(tmp_path / "other.yaml"))
    assert code == 0 and "other_rule" in out and "slow_checkout" not in out


def test_a_rule_as_json_data_reads_like_the_file():
    rule = parse_definition(
        {"id": "tiny", "metric": "payment_failure_rate", "condition": {"threshold": {"op": ">", "value": 1e-05}},
         "severity": "info", "team": "tech", "channels": ["tech_chat"], "message": {"zh": "x", "en": "x"}},
        "body", **KNOWN,
    )  # fmt: skip
    assert rule.condition == Threshold(">", 1e-05, 1e-05)  # JSON's 1e-05 is no number to YAML as text
    baseline = parse_definition(
        {"id": "vs_day", "metric": "gmv_paid", "condition": {"baseline": {"pct": -30, "day": "2025-11-11"}},
         "severity": "info", "team": "ops", "channels": ["c"], "message": {"zh": "x", "en": "x"}},
        "body", **KNOWN,
    )  # fmt: skip
    assert baseline.condition == BaselineChange(-30, -30, None, date(2025, 11, 11))
    with pytest.raises(RuleFileError) as caught:
        parse_definition({"id": "Bad Id", "metric": "gmv_paid", "surprise": 1}, "body", **KNOWN)
    paths = {p.path for p in caught.value.problems}
    assert {"id", "surprise", "condition", "severity", "team"} <= paths


def test_warroom_alerts_reads_the_api_rules_as_the_server_does(tmp_path, run):
    meta = open_metadata(Settings(home=tmp_path / "home").metadata_sqlalchemy_url)
    rule_set = RuleSet(load_base(None, **KNOWN), meta, known_channels=None, **KNOWN)
    definition = yaml.safe_load(ONE_RULE)["rules"][0]
    now = datetime.now(UTC)
    with meta() as session:
        create_rule(
            session, rule_set, definition=definition, actor="root", role="admin", teams=teams_of("admin")
        )
        # What an older store may hold: the API refuses a built-in rule's id, but the base can change under it.
        clash = definition | {"id": "payment_failure_spike"}
        session.add(AlertRuleRow(id=clash["id"], team="tech", definition=clash, created_by="root", created_at=now,
                                 updated_by="root", updated_at=now))  # fmt: skip
        session.commit()
    code, out = run("alerts", "list")
    assert code == 0
    rows = [
        [cell.strip() for cell in line.split("│")[1:-1]] for line in out.splitlines() if line.count("│") > 5
    ]
    sources = {row[0]: row[-1] for row in rows}
    assert sources["slow_checkout"] == "api" and sources["payment_failure_spike"] == "builtin"
    assert [row[0] for row in rows].count("payment_failure_spike") == 1
    assert "skipped stored rule payment_failure_spike: its id is also a rule of" in out
