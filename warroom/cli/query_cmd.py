"""`warroom query` (metrics by dimensions over a time range) and `warroom metrics` (the catalog)."""

import csv
import sys
from datetime import datetime
from pathlib import Path

import orjson
import typer
from rich.console import Console
from rich.table import Table as RichTable

from warroom.cli import app
from warroom.cli.times import parse_time
from warroom.config import Settings
from warroom.errors import UserError
from warroom.metrics import MetricQuery, QueryResult, load_catalog, run_query
from warroom.metrics.catalog import CATALOG_PATH, CatalogError, check_catalog
from warroom.metrics.query import Filter
from warroom.warehouse import Warehouse

_OPS = ("!=", ">=", "<=", "=", ">", "<")  # longest first, so >= is not read as >


def parse_filter(text: str) -> Filter:
    """'channel=search', 'province in 浙江,江苏', 'category_l1 not_in 女装', 'sku>=100'."""
    for word in (" not_in ", " in "):
        if word in text:
            dim, values = text.split(word, 1)
            return Filter(
                dimension=dim.strip(), op=word.strip(), value=[v.strip() for v in values.split(",")]
            )  # type: ignore[arg-type]
    for op in _OPS:
        if op in text:
            dim, value = text.split(op, 1)
            return Filter(dimension=dim.strip(), op=op, value=value.strip())  # type: ignore[arg-type]
    raise UserError(f"--where {text!r}: write dimension=value, dimension in a,b or dimension>=value")


@app.command()
def query(
    metrics: str = typer.Argument(..., help="Comma-separated metric names, e.g. gmv_paid,orders,aov."),
    by: str = typer.Option("", "--by", help="Comma-separated dimensions, e.g. channel,province."),
    where: list[str] = typer.Option([], "--where", help="A filter: channel=search, province in 浙江,江苏."),
    grain: str = typer.Option(None, "--grain", help="minute, hour or day (in the display time zone)."),
    start: str = typer.Option(None, "--from", help="Start (inclusive), e.g. '2026-11-11 00:00'."),
    end: str = typer.Option(None, "--to", help="End (exclusive)."),
    compare: str = typer.Option(None, "--compare", help="previous_period or baseline_day."),
    baseline: str = typer.Option(None, "--baseline-date", help="The day compare=baseline_day compares with."),
    order_by: str = typer.Option("", "--order-by", help="Comma-separated columns; -name sorts descending."),
    limit: int = typer.Option(None, "--limit", help="At most this many rows."),
    fmt: str = typer.Option("table", "--format", help="table, csv or json."),
    show_sql: bool = typer.Option(False, "--sql", help="Print the SQL that ran, after the rows."),
) -> None:
    """Query metrics from the warehouse (opened read-only)."""
    if fmt not in ("table", "csv", "json"):
        raise UserError(f"--format {fmt!r}: use table, csv or json")
    settings = Settings()
    tz = settings.tz
    try:
        q = MetricQuery(
            metrics=_split(metrics),
            dimensions=_split(by),
            filters=[parse_filter(w) for w in where],
            time_from=parse_time(start, tz, "--from") if start else None,
            time_to=parse_time(end, tz, "--to") if end else None,
            grain=grain,
            compare=compare,
            baseline_date=datetime.fromisoformat(baseline).date() if baseline else None,
            order_by=_split(order_by),
            limit=limit,
        )
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise UserError(f"bad query: {exc}") from None
    path = settings.warehouse_path
    if not path.exists():
        raise UserError(f"no warehouse at {path}; load data first or set WARROOM_HOME")
    with Warehouse(path, read_only=True) as warehouse:
        result = run_query(warehouse, q, tz=tz)
    _print(result, fmt, tz)
    if show_sql:
        print(result.sql, file=sys.stderr if fmt != "table" else sys.stdout)


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _print(result: QueryResult, fmt: str, tz) -> None:
    rows = result.rows.to_pylist()
    names = [c.name for c in result.columns]
    for row in rows:
        if isinstance(row.get("time"), datetime):
            row["time"] = row["time"].astimezone(tz).isoformat()
    if fmt == "json":
        print(
            orjson.dumps(
                {"columns": [c.__dict__ for c in result.columns], "rows": rows}, default=str
            ).decode()
        )
    elif fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(names)
        writer.writerows([[row[n] for n in names] for row in rows])
    else:
        grid = RichTable()
        for c in result.columns:
            grid.add_column(
                f"{c.label_en}\n{c.label_zh}", justify="left" if c.kind in ("time", "dimension") else "right"
            )
        for row in rows:
            grid.add_row(*[_cell(row[c.name], c.format) for c in result.columns])
        Console().print(grid)


def _cell(value: object, fmt: str | None) -> str:
    if value is None:
        return "-"
    if fmt == "percent":
        return f"{float(value):.2%}"  # type: ignore[arg-type]
    if fmt == "money":
        return f"{float(value):,.2f}"  # type: ignore[arg-type]
    if fmt == "integer":
        return f"{float(value):,.0f}"  # type: ignore[arg-type]
    if fmt == "decimal":
        return f"{float(value):,.3f}"  # type: ignore[arg-type]
    return str(value)


@app.command("metrics")
def metrics_cmd(
    check: bool = typer.Option(False, "--check", help="Validate the catalog and list every problem."),
    as_json: bool = typer.Option(False, "--json", help="Print the catalog as JSON."),
    file: Path = typer.Option(CATALOG_PATH, "--file", help="With --check: the catalog file to check."),
) -> None:
    """List the metric catalog, or check it (exit code 2 and every problem with file:line)."""
    if check:
        if not file.is_file():
            raise UserError(f"--file {file}: no such file")
        _, problems = check_catalog(file.read_text(encoding="utf-8"), str(file))
        if problems:
            raise CatalogError(problems)
        print(f"{file}: ok")
        return
    catalog = load_catalog()
    if as_json:
        doc = {
            "metrics": [m.describe() for m in catalog.metrics.values()],
            "dimensions": [
                {
                    "name": d.name,
                    "label_zh": d.label_zh,
                    "label_en": d.label_en,
                    "aliases": list(d.aliases),
                    "tables": d.on_text,
                }
                for d in catalog.dimensions.values()
            ],
            "parameters": {
                k: {
                    "value": float(v),
                    "description": catalog.parameter_docs[k],
                    **(
                        {"by": {key: float(r) for key, r in catalog.parameter_by[k].items()}}
                        if k in catalog.parameter_by
                        else {}
                    ),
                }
                for k, v in catalog.parameters.items()
            },
        }
        print(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode())
        return
    grid = RichTable(title="metrics", title_justify="left")
    for head in ("name", "label", "type", "unit", "owner", "sensitivity", "definition"):
        grid.add_column(head)
    for m in catalog.metrics.values():
        grid.add_row(
            m.name, f"{m.label_zh} {m.label_en}", m.type, m.unit, m.owner, m.sensitivity, m.description_en
        )
    Console().print(grid)
