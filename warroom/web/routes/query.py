"""The metric layer over HTTP: POST /api/v1/query and GET /api/v1/metrics, under the caller's policy."""

from decimal import Decimal

from fastapi import APIRouter

from warroom.metrics import MetricQuery, load_catalog, run_query
from warroom.web.auth import UserDep, principal_of
from warroom.web.deps import RuntimeDep
from warroom.web.routes.boards import may_see_sql

router = APIRouter(prefix="/api/v1")


def _plain(value: object) -> object:
    # JSON numbers for charts; Decimal sums are exact in the warehouse and print exactly at fen precision.
    return float(value) if isinstance(value, Decimal) else value


@router.post("/query")
def query(body: MetricQuery, rt: RuntimeDep, user: UserDep) -> dict:
    """Answer a metric query; the result carries each column's labels, unit and format, and the SQL run
    for the roles that may see SQL (WARROOM_SQL_ROLES, as for a panel's SQL; null for the others)."""
    result = run_query(rt.warehouse, body, principal_of(user), tz=rt.settings.tz)
    rows = [{k: _plain(v) for k, v in row.items()} for row in result.rows.to_pylist()]
    return {
        "ok": True,
        "columns": [column.__dict__ for column in result.columns],
        "rows": rows,
        "sql": result.sql if may_see_sql(rt, user) else None,
    }


@router.get("/metrics")
def metrics(user: UserDep) -> dict:
    """The catalog, each metric marked with whether the caller may see it."""
    allowed = principal_of(user).allowed_sensitivities
    catalog = load_catalog()
    return {
        "ok": True,
        "metrics": [m.describe() | {"allowed": m.sensitivity in allowed} for m in catalog.metrics.values()],
        "dimensions": sorted(catalog.dimensions),
    }
