"""Where the data stands, for the data page: rows per canonical table, what sits in quarantine, and a
preview of the quarantined rows under the viewer's policy.

Quarantined rows are raw input: a rejected customer row still carries a phone number, a rejected product
row its unit cost. The preview masks PII and withholds finance-sensitive columns exactly as the metric
layer's datasets do, so the data page is not a way around the viewer's permissions.
"""

from typing import Any

from warroom.ingest import quarantine
from warroom.metrics import Principal
from warroom.metrics.engine import FINANCE_COLUMNS
from warroom.schema.tables import TABLES
from warroom.warehouse import Warehouse

PREVIEW = 20  # newest quarantined rows shown
WITHHELD = "(finance)"


def table_rows(warehouse: Warehouse) -> dict[str, int]:
    """table -> rows, for every canonical table (0 for one not created yet)."""
    con = warehouse.cursor()
    try:
        present = {
            r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT temporary").fetchall()
        }
        return {
            name: con.execute(f"SELECT count(*) FROM {name}").fetchone()[0] if name in present else 0  # type: ignore[index]
            for name in TABLES
        }
    finally:
        con.close()


def mask_text(value: Any) -> Any:
    """The metric layer's masking rule in Python: 138****1234 for a phone, first character and *** else."""
    if value is None:
        return None
    text = str(value)
    if len(text) >= 8:
        return text[:3] + "****" + text[-4:]
    return text[:1] + "***" if text else text


def _visible(table: str, raw: dict, principal: Principal | None) -> dict:
    if principal is None:
        return raw
    out = {}
    for column, value in raw.items():
        if f"{table}.{column}" in FINANCE_COLUMNS and "finance" not in principal.allowed_sensitivities:
            out[column] = WITHHELD
        elif principal.masks(table, column):
            out[column] = mask_text(value)
        else:
            out[column] = value
    return out


def quarantine_status(warehouse: Warehouse, principal: Principal | None) -> dict:
    """{summary: [{table, rule, column, rows, received}], recent: [the newest PREVIEW rows, masked]}."""
    con = warehouse.cursor()
    try:
        summary = [
            {"table": t, "rule": rule, "column": column, "rows": int(n), "received": last}
            for t, rule, column, n, _first, last in quarantine.summary(con)
        ]
        newest = con.execute(
            f"SELECT id FROM {quarantine.TABLE} ORDER BY id DESC LIMIT {PREVIEW}"
        ).fetchall() if quarantine.exists(con) else []  # fmt: skip
        recent = quarantine.entries(con, ids=[r[0] for r in newest]) if newest else []
    finally:
        con.close()
    return {
        "summary": summary,
        "recent": [
            {
                "id": e.id, "received": e.received_at, "table": e.table_name, "source": e.source,
                "row": e.row_number, "column": e.column_name, "rule": e.rule, "message": e.message,
                "raw": _visible(e.table_name, e.raw, principal),
            }
            for e in sorted(recent, key=lambda e: -e.id)
        ],
    }  # fmt: skip
