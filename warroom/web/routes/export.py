"""CSV exports through the metric layer, under the caller's policy, audited.

  GET /api/v1/export.csv?metrics=gmv_paid,orders&dimensions=channel_group&filter=category_l1:in:女装,男装
      &time_from=2026-11-11T00:00:00%2B08:00&time_to=...&grain=hour&compare=...&order_by=-gmv_paid&limit=100
  GET /api/v1/dataset.csv?table=customers&columns=customer_id,phone&filter=province:=:浙江&limit=1000

A filter is `dimension:op:value` (repeatable); `in` and `not_in` take values separated by commas. A metric
the caller may not see is a 403 (and an `export_refused` audit entry); PII columns come back masked unless
the caller's role unmasks them. Times are written in the display time zone, with their offset.
"""

import io
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
from fastapi import APIRouter, Request, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from warroom.access.audit import audit
from warroom.collab import CollabAction
from warroom.errors import UserError
from warroom.meta import User
from warroom.metrics import Filter, Forbidden, MetricQuery, dataset, run_query
from warroom.web.auth import MetaDep, UserDep, principal_of
from warroom.web.deps import RuntimeDep

router = APIRouter(prefix="/api/v1")

QUERY_PARAMS = {"metrics", "dimensions", "filter", "time_from", "time_to", "grain", "compare",
                "baseline_date", "order_by", "limit"}  # fmt: skip
DATASET_PARAMS = {"table", "columns", "filter", "limit"}
# A dataset export with no limit stops here: enough for any spreadsheet (Excel holds 1,048,576 rows),
# and a bigger pull belongs to `warroom export` (Parquet), not a browser download.
DATASET_DEFAULT_LIMIT = 100_000
# Excel opens a UTF-8 CSV as the local code page (GBK on Chinese Windows) unless it starts with a BOM;
# without it every 女装 becomes mojibake.
BOM = "\ufeff".encode()


def _listed(request: Request, key: str) -> list[str]:
    """A list parameter, repeated (?m=a&m=b) or comma-separated (?m=a,b)."""
    return [v.strip() for raw in request.query_params.getlist(key) for v in raw.split(",") if v.strip()]


def _check_params(request: Request, accepted: set[str]) -> None:
    unknown = sorted(set(request.query_params) - accepted)
    if unknown:
        raise UserError(f"unknown export parameter(s) {unknown}; this export accepts {sorted(accepted)}")


def parse_filter(text: str) -> Filter:
    """`dimension:op:value`, e.g. category_l1:in:女装,男装 or province:=:浙江."""
    parts = text.split(":", 2)
    if len(parts) != 3 or not parts[0] or not parts[2]:
        raise UserError(
            f"filter {text!r}: write dimension:op:value, e.g. category_l1:in:女装,男装 or province:=:浙江"
        )
    dimension, op, value = parts
    values = [v.strip() for v in value.split(",") if v.strip()]
    try:
        return Filter(dimension=dimension, op=op, value=values if op in ("in", "not_in") else value)
    except ValidationError as exc:
        raise UserError(f"filter {text!r}: {exc.errors()[0]['msg']}") from None


def metric_query_of(request: Request) -> MetricQuery:
    """The export's query string as a MetricQuery (validated like POST /api/v1/query's body)."""
    _check_params(request, QUERY_PARAMS)
    params: dict[str, Any] = {
        "metrics": _listed(request, "metrics"),
        "dimensions": _listed(request, "dimensions"),
        "filters": [parse_filter(f) for f in request.query_params.getlist("filter")],
        "order_by": _listed(request, "order_by"),
    }
    for key in ("time_from", "time_to", "grain", "compare", "baseline_date", "limit"):
        if request.query_params.get(key):
            params[key] = request.query_params[key]
    try:
        return MetricQuery.model_validate(params)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise UserError(f"export query: {problems}") from None


def to_csv(table: pa.Table, tz_name: str) -> bytes:
    """CSV with a header of column names; times in `tz_name` with their offset; decimals exact."""
    for i, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type) and field.type.tz is not None:
            table = table.set_column(i, field.name, table.column(i).cast(pa.timestamp("us", tz=tz_name)))
    out = io.BytesIO()
    out.write(BOM)
    pacsv.write_csv(table, out)
    return out.getvalue()


def _csv_response(body: bytes, stem: str, now: datetime) -> Response:
    filename = f"warroom-{stem}-{now:%Y%m%d-%H%M%S}.csv"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"}
    return Response(body, media_type="text/csv; charset=utf-8", headers=headers)


def _audited(
    meta: Session, user: User, request: Request, target: str, detail: dict, run: Callable[[], pa.Table]
) -> pa.Table:
    """Run the export; audit it (with its row count) or its refusal, then re-raise a refusal."""
    ip = request.client.host if request.client else None
    try:
        rows = run()
    except Forbidden as exc:
        audit(meta, actor=user.username, action=CollabAction.EXPORT_REFUSED, target=target,  # type: ignore[arg-type]
              detail={**detail, "reason": str(exc)}, ip=ip)  # fmt: skip
        meta.commit()
        raise
    audit(meta, actor=user.username, action=CollabAction.EXPORTED, target=target,  # type: ignore[arg-type]
          detail={**detail, "rows": rows.num_rows}, ip=ip)  # fmt: skip
    meta.commit()
    return rows


@router.get("/export.csv", response_class=Response)
def export_query(request: Request, rt: RuntimeDep, meta: MetaDep, user: UserDep) -> Response:
    """A metric query (the parameters of POST /api/v1/query, as a query string) as CSV."""
    query = metric_query_of(request)
    principal = principal_of(user)
    detail = query.model_dump(mode="json", exclude_defaults=True)
    rows = _audited(
        meta, user, request, "export:metrics", detail,
        lambda: run_query(rt.warehouse, query, principal, tz=rt.settings.tz).rows,
    )  # fmt: skip
    return _csv_response(to_csv(rows, rt.settings.timezone), "metrics", rt.now().astimezone(rt.settings.tz))


@router.get("/dataset.csv", response_class=Response)
def export_dataset(request: Request, rt: RuntimeDep, meta: MetaDep, user: UserDep) -> Response:
    """Rows of one table (its columns, dimensions, join paths like customers.phone) as CSV; PII masked."""
    _check_params(request, DATASET_PARAMS)
    table = request.query_params.get("table", "")
    columns = _listed(request, "columns")
    filters = [parse_filter(f) for f in request.query_params.getlist("filter")]
    raw_limit = request.query_params.get("limit")
    if raw_limit is not None and not raw_limit.isdigit():
        raise UserError(f"limit {raw_limit!r} must be a whole number of rows")
    limit = int(raw_limit) if raw_limit else DATASET_DEFAULT_LIMIT
    principal = principal_of(user)
    detail = {
        "table": table,
        "columns": columns,
        "filters": [f.model_dump() for f in filters],
        "limit": limit,
    }
    rows = _audited(
        meta, user, request, f"export:dataset:{table}", detail,
        lambda: dataset(rt.warehouse, table, columns, filters, principal, limit),
    )  # fmt: skip
    return _csv_response(to_csv(rows, rt.settings.timezone), table, rt.now().astimezone(rt.settings.tz))
