"""The window an analysis reads: [time_from, time_to), optionally one service, under a viewer's principal."""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from warroom.errors import UserError
from warroom.metrics import Filter, MetricQuery, Principal, run_query
from warroom.warehouse import Warehouse

Grain = Literal["minute", "hour", "day"]


@dataclass(frozen=True)
class Scope:
    time_from: datetime
    time_to: datetime
    service: str | None = None
    principal: Principal | None = None  # None: internal, unrestricted

    def __post_init__(self) -> None:
        if self.time_from.tzinfo is None or self.time_to.tzinfo is None:
            raise UserError(
                "a tech analysis window needs times with a time zone, e.g. 2026-11-11T00:00+08:00"
            )
        if self.time_from >= self.time_to:
            raise UserError(
                f"the window {self.time_from.isoformat()} .. {self.time_to.isoformat()} is empty or backwards"
            )

    @classmethod
    def last(cls, now: datetime, span: timedelta, **kw) -> "Scope":
        return cls(now - span, now, **kw)

    @property
    def seconds(self) -> float:
        return (self.time_to - self.time_from).total_seconds()

    def shifted(self, by: timedelta) -> "Scope":
        return replace(self, time_from=self.time_from + by, time_to=self.time_to + by)

    def ask(
        self,
        warehouse: Warehouse,
        metrics: Sequence[str],
        dimensions: Sequence[str] = (),
        *,
        grain: Grain | None = None,
        filters: Sequence[Filter] = (),
        order_by: Sequence[str] = (),
        limit: int | None = None,
        service_filter: bool = True,
    ) -> list[dict]:
        """Rows of one metric query over this scope (the service filter applies to api_requests metrics)."""
        scoped = [Filter(dimension="service", value=self.service)] if self.service and service_filter else []
        query = MetricQuery(
            metrics=list(metrics),
            dimensions=list(dimensions),
            filters=[*scoped, *filters],
            time_from=self.time_from,
            time_to=self.time_to,
            grain=grain,
            order_by=list(order_by),
            limit=limit,
        )
        return run_query(warehouse, query, self.principal).rows.to_pylist()
