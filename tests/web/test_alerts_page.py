"""The alerts page in a real browser: a pending alert is named by its rule's title (it has no message yet),
a claimed alert says who owns it, and an escalated one says when it went to the second channel."""

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from tests.web.conftest import _free_port, serving
from warroom.config import Settings
from warroom.meta import open_metadata
from warroom.meta.alerts import AckRow, AlertStateRow

pytestmark = pytest.mark.browser

FIRED = datetime(2026, 11, 10, 15, 50, tzinfo=UTC)  # 23:50 in Shanghai, before the replay's start


def state(rule_id: str, status: str, summary: tuple[str, str], **extra) -> AlertStateRow:
    return AlertStateRow(
        rule_id=rule_id, labels_key="sku_id=1001", labels={"sku_id": "1001"}, team="ops", severity="critical",
        status=status, active_since=FIRED, value=1.0, summary_zh=summary[0], summary_en=summary[1],
        link="/ops", updated_at=FIRED, **extra,
    )  # fmt: skip


@pytest.fixture(scope="module")
def alerts_server(small_sim, tmp_path_factory):
    """A server whose metadata holds three hand-made alerts of rules the scheduler does not own (so its
    ticks leave them as they are)."""
    home = tmp_path_factory.mktemp("home")
    env = {**os.environ, "WARROOM_HOME": str(home), "WARROOM_PORT": str(_free_port())}
    add = [sys.executable, "-m", "warroom", "users", "add", "ops", "--role", "ops", "--password", "ops-pass"]
    subprocess.run(add, env=env, check=True, capture_output=True)
    meta = open_metadata(Settings(home=home).metadata_sqlalchemy_url)
    with meta() as s:
        s.add(state("page_pending", "pending", ("库存告急", "Stock running out")))
        s.add(state("page_claimed", "firing", ("已断货:SKU 1001", "Sold out: SKU 1001"), fired_at=FIRED))
        escalated = FIRED + timedelta(minutes=10)
        s.add(
            state(
                "page_escalated",
                "firing",
                ("毛利倒挂", "Negative margin"),
                fired_at=FIRED,
                escalated_at=escalated,
            )
        )
        s.add(
            AckRow(
                rule_id="page_claimed", labels_key="sku_id=1001", labels={"sku_id": "1001"},
                at=FIRED + timedelta(minutes=1), by="ops", comment="补货中", kind="claim",
            )
        )  # fmt: skip
        s.commit()
    with serving(home, env, small_sim, "2026-11-10 23:58") as url:
        yield url


def test_pending_claimed_and_escalated_alerts_read_as_such(alerts_server, page, screenshot):
    page.goto(alerts_server + "/")
    page.fill("input[name=username]", "ops")
    page.fill("input[name=password]", "ops-pass")
    page.click("button[type=submit]")
    page.wait_for_url(alerts_server + "/")
    page.goto(alerts_server + "/alerts")
    page.wait_for_selector("#open-alerts tr[data-rule=page_escalated]", timeout=30_000)

    def row(rule_id: str) -> str:
        return page.locator(f"#open-alerts tr[data-rule={rule_id}]").inner_text()

    assert "库存告急" in row("page_pending") and "待定" in row("page_pending")
    assert "ops 已认领 · 补货中" in row("page_claimed")
    assert "⤴ 已升级 00:00:00" in row("page_escalated")  # 16:00 UTC is midnight in Shanghai
    screenshot(page, "alerts-pending-claimed-escalated")
