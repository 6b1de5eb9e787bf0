"""A panel's data as rows for its CSV: the table a person would paste into a spreadsheet.

Panels hold a list of records, or a mapping whose main part is one (`rows`, `hourly`, `series`, `steps`,
`days`, `mix`, in that order of preference); a chart's series [{name, data: [[time, value], ...]}] become
long rows (series, time, value). A cell that is itself a list or mapping (a promotion stack) is written as
JSON, so no figure is lost. A panel whose shape is none of these declares its own Panel.table.
"""

from typing import Any

import orjson

MAIN_PARTS = ("rows", "hourly", "series", "steps", "days", "mix")


def _cell(value: Any) -> Any:
    if isinstance(value, list | dict):
        return orjson.dumps(value, default=str).decode()
    return value


def _record(value: Any) -> dict:
    if isinstance(value, dict):
        return {k: _cell(v) for k, v in value.items()}
    return {"value": _cell(value)}


def _is_series(items: list) -> bool:
    return bool(items) and all(isinstance(s, dict) and set(s) >= {"name", "data"} for s in items)


def rows_of(data: Any) -> list[dict]:
    if isinstance(data, list):
        if _is_series(data):
            return [{"series": s["name"], "time": t, "value": v} for s in data for t, v in s["data"]]
        return [_record(item) for item in data]
    if isinstance(data, dict):
        for part in MAIN_PARTS:
            if isinstance(data.get(part), list):
                return rows_of(data[part])
        return [_record(data)]
    return [{"value": data}]


def funnel_rows(data: dict) -> list[dict]:
    """A funnel's steps, one row per (group, step)."""
    return [{"group": g["group"], **_record(step)} for g in data["groups"] for step in g["steps"]]


def hour_grid_rows(data: dict) -> list[dict]:
    """An hour-of-day grid ({row, hours, rows: [{<row>, values}]}) as (row, hour, value) rows."""
    key = data["row"]
    return [
        {key: r[key], "hour": hour, data["metric"]: value}
        for r in data["rows"]
        for hour, value in zip(data["hours"], r["values"], strict=True)
    ]
