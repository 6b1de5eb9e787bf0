"""Replaying quarantined rows: validate them again (after a fix to a mapping or to the schema) and load
those that now pass, removing them from the quarantine in the same transaction.

A row goes through the mapping it was first read with (its file is re-read from `mapping`, so fixing the
mapping file in place and replaying is enough), or through the one given instead. Its original row number
and file name are kept, so ids a mapping derives from `_row` and `_file` come out the same as on the first
load. Rows still rejected stay, with their reasons brought up to date. Malformed rows (a line the reader
could not split) cannot be replayed: fix the file and load it again.
"""

import dataclasses
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

import numpy as np

from warroom.config import get_settings
from warroom.ingest import quarantine
from warroom.ingest.load import write_rows
from warroom.ingest.mapping import Mapping, apply_mapping, load_mapping
from warroom.ingest.readers import table_of_rows
from warroom.ingest.validate import Reject, validate
from warroom.schema import get_table
from warroom.warehouse import Warehouse


@dataclass
class ReplayReport:
    table: str
    replayed: int = 0
    accepted: int = 0
    still_rejected: int = 0
    duplicates: int = 0
    updated: int = 0
    not_replayable: int = 0


def replay(
    warehouse: Warehouse,
    *,
    ids: list[int] | None = None,
    table: str | None = None,
    mapping: Mapping | None = None,
    timezone: str | None = None,
) -> list[ReplayReport]:
    """Replay the quarantined rows chosen by ids and/or table (all when neither is given)."""
    timezone = timezone or get_settings().timezone
    with warehouse.write_lock:
        con = warehouse.cursor()
        try:
            quarantine.ensure(warehouse, con)
            entries = quarantine.entries(con, ids=ids, table=table)
            reports: dict[str, ReplayReport] = {}

            def group_key(e: quarantine.Entry) -> tuple:
                return (e.table_name, e.mapping or "", e.source)

            for (name, mapping_path, source), group in groupby(sorted(entries, key=group_key), key=group_key):
                report = reports.setdefault(name, ReplayReport(name))
                rows = list(group)
                replayable = [e for e in rows if e.rule != "malformed"]
                report.not_replayable += len(rows) - len(replayable)
                if replayable:
                    used = mapping or (load_mapping(mapping_path) if mapping_path else None)
                    _replay_group(con, name, source, replayable, used, timezone, report)
            return list(reports.values())
        finally:
            con.close()


def _replay_group(
    con, name: str, source: str, entries: list, mapping: Mapping | None, tz: str, report
) -> None:
    spec = get_table(name)
    raw = table_of_rows([e.raw for e in entries])
    numbers = np.array([e.row_number or 0 for e in entries], dtype=np.int64)
    batch = apply_mapping(mapping, raw, numbers, Path(source).name) if mapping else raw
    checked = validate(spec, batch, tz)
    failed = set(checked.rejected_rows.tolist())
    accepted_ids = [e.id for i, e in enumerate(entries) if i not in failed]
    by_row: dict[int, list[Reject]] = {}
    for r in checked.rejects:  # numbered within this replay batch: give them their file's row numbers back
        i = r.row_number - 1
        by_row.setdefault(i, []).append(dataclasses.replace(r, row_number=entries[i].row_number or 0))
    con.begin()
    try:
        duplicates, updated = write_rows(con, spec, checked.accepted)
        quarantine.remove(con, accepted_ids)
        quarantine.update_reasons(
            con,
            [
                (entries[i].id, rs[0].column, rs[0].rule, "; ".join(r.message for r in rs))
                for i, rs in by_row.items()
            ],
        )
        con.commit()
    except BaseException:
        con.rollback()
        raise
    report.replayed += len(entries)
    report.accepted += len(accepted_ids)
    report.still_rejected += len(failed)
    report.duplicates += duplicates
    report.updated += updated
