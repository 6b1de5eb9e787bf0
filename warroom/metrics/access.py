"""The access hook: who may see which metrics, which rows, which customer fields.

Permissions live in the query path (DESIGN.md): the compiler calls these functions for every metric query
and dataset, so no page, export, alert or report can skip them. Deny by default: a row filter that cannot
be applied to what is asked (a province-limited user asking for API latency) refuses rather than shows all.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from warroom.errors import UserError
from warroom.metrics.catalog import Catalog
from warroom.metrics.query import Filter
from warroom.schema import TABLES


class Forbidden(UserError):
    """The principal may not see this (HTTP 403)."""

    status_code = 403


@dataclass(frozen=True, init=False)
class Principal:
    """Who is asking: the metric sensitivities they may see, row filters ANDed into every query, and the
    columns shown masked in datasets (by column name, e.g. 'phone', or table.column, e.g. 'customers.phone')."""

    name: str
    allowed_sensitivities: frozenset[str]
    row_filters: tuple[Filter, ...]
    masked_columns: frozenset[str]  # default: every PII column of the schema

    def __init__(
        self,
        name: str,
        allowed_sensitivities: Iterable[str] = ("public",),
        row_filters: Iterable[Filter] = (),
        masked_columns: Iterable[str] | None = None,
    ) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "allowed_sensitivities", frozenset(allowed_sensitivities))
        object.__setattr__(self, "row_filters", tuple(row_filters))
        masked = pii_columns() if masked_columns is None else set(masked_columns)
        object.__setattr__(self, "masked_columns", frozenset(masked))

    @classmethod
    def from_policy(cls, name: str, policy: dict[str, Any]) -> "Principal":
        """From warroom.access.roles.policy_for(user): {allowed_sensitivities, row_filters, unmasked_pii}."""
        return cls(
            name,
            allowed_sensitivities=policy.get("allowed_sensitivities", ()),
            row_filters=[
                Filter(dimension=dim, op="in", value=list(values))
                for dim, values in (policy.get("row_filters") or {}).items()
            ],
            masked_columns=set() if policy.get("unmasked_pii") else None,
        )

    def masks(self, table: str, column: str) -> bool:
        return column in self.masked_columns or f"{table}.{column}" in self.masked_columns


def pii_columns() -> set[str]:
    """Every column the canonical schema marks PII, as table.column."""
    return {f"{t.name}.{c.name}" for t in TABLES.values() for c in t.columns if c.pii}


def check_metrics(catalog: Catalog, principal: Principal | None, metrics: Iterable[str]) -> None:
    """Forbidden for the first metric whose sensitivity the principal may not see."""
    if principal is None:
        return
    for name in metrics:
        level = catalog.metrics[name].sensitivity
        if level not in principal.allowed_sensitivities:
            raise Forbidden(
                f"{principal.name!r} may not see metric {name!r} (sensitivity {level}; allowed: "
                f"{', '.join(sorted(principal.allowed_sensitivities)) or 'none'})"
            )


def row_filters(
    catalog: Catalog, principal: Principal | None, tables: Iterable[str], what: str
) -> list[Filter]:
    """The principal's row filters, checked to apply to every table read; Forbidden where one cannot."""
    if principal is None:
        return []
    for f in principal.row_filters:
        dim = catalog.dimension(f.dimension)
        if dim is None:
            raise Forbidden(f"{principal.name!r} has a row filter on unknown dimension {f.dimension!r}")
        for table in tables:
            if table not in dim.on:
                raise Forbidden(
                    f"{principal.name!r} sees only rows where {f.dimension} {f.op} {f.value}, which cannot "
                    f"be applied to {what} (table {table}); ask an admin for a wider role"
                )
    return list(principal.row_filters)
