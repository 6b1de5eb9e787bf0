"""4xx and 5xx rates, where errors come from, and how fast the error budget burns against an SLO.

The SLO counts 5xx as failures (the service's fault); 4xx are the client's and do not spend the budget.
Burn rate (Google SRE workbook, "Alerting on SLOs"): the window's 5xx ratio / (1 - SLO target). At 1 the
budget lasts exactly the SLO period; 14.4 over the last hour spends 2% of a 30-day budget in that hour, the
workbook's threshold for paging (confirmed by the 5-minute window, so a page stops soon after recovery).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from warroom.analyses.tech.scope import Grain, Scope
from warroom.errors import UserError
from warroom.metrics import Principal
from warroom.warehouse import Warehouse

RATES = ["error_rate_4xx", "error_rate_5xx", "requests_4xx", "requests_5xx", "requests"]


@dataclass(frozen=True)
class Slo:
    target: float = 0.999  # share of requests answered without a 5xx
    page_burn: float = 14.4  # SRE workbook: 2% of a 30-day budget in one hour
    windows: tuple[timedelta, ...] = (timedelta(minutes=5), timedelta(hours=1), timedelta(hours=6))

    def __post_init__(self) -> None:
        if not 0 < self.target < 1:
            raise UserError(f"SLO target {self.target} must be between 0 and 1, e.g. 0.999 for 99.9%")


def burn_rate(error_ratio: float | None, slo: Slo) -> float | None:
    """How many times faster than sustainable the budget is spent (None: no requests)."""
    return None if error_ratio is None else error_ratio / (1 - slo.target)


def error_rates(
    warehouse: Warehouse, scope: Scope, by: tuple[str, ...] = ("service",), grain: Grain | None = None
) -> list[dict]:
    """Rows {time?, *by, error_rate_4xx, error_rate_5xx, requests_4xx, requests_5xx, requests}."""
    order = ["time"] * bool(grain) + list(by)
    return scope.ask(warehouse, RATES, list(by), grain=grain, order_by=order)


def error_sources(
    warehouse: Warehouse, scope: Scope, by: Literal["endpoint", "host"] = "endpoint", limit: int = 10
) -> list[dict]:
    """The endpoints (with their service) or hosts answering the most 5xx, then 4xx."""
    dims = ["service", "endpoint"] if by == "endpoint" else ["host"]
    rows = scope.ask(warehouse, RATES, dims, order_by=["-requests_5xx", "-requests_4xx"], limit=limit)
    return [r for r in rows if (r["requests_5xx"] or 0) + (r["requests_4xx"] or 0) > 0]


def burn_rates(
    warehouse: Warehouse,
    now: datetime,
    slo: Slo = Slo(),
    service: str | None = None,
    principal: Principal | None = None,
) -> list[dict]:
    """Per service and window: {service, window_minutes, error_ratio, burn_rate, paging}.

    `paging` is the workbook's two-window rule: burn over page_burn in both the 1-hour and the 5-minute
    window (where those windows are configured)."""
    out = []
    for window in slo.windows:
        scope = Scope(now - window, now, service, principal)
        for r in scope.ask(warehouse, ["error_rate_5xx"], ["service"], order_by=["service"]):
            out.append(
                {
                    "service": r["service"],
                    "window_minutes": int(window.total_seconds() // 60),
                    "error_ratio": r["error_rate_5xx"],
                    "burn_rate": burn_rate(r["error_rate_5xx"], slo),
                }
            )
    over = {(r["service"], r["window_minutes"]) for r in out if (r["burn_rate"] or 0) > slo.page_burn}
    for r in out:
        r["paging"] = (r["service"], 60) in over and (r["service"], 5) in over
    return out
