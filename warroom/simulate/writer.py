"""Writing a table as numbered Parquet parts in time order, a chunk at a time, byte for byte repeatable.

Rows are handed over by column (numpy arrays: int64 µs for timestamps, int64 fen for money; or Arrow
arrays). A fact table's rows are held until the simulated clock has passed them: a visit that starts
before a chunk's end may order after it, and a refund may come days later. flush(until) writes the rows
before `until`, sorted by time (a stable sort, so ties keep their generated order) and keeps the rest.
Tables without a time column of their own (order lines) pass a `ts` sort key, which is not written.
Ids that must rise with time (event_id, payment_id) are numbered here, as rows are written.
"""

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from warroom.schema import Table, fen_to_money

SORT_KEY = "ts"
# Fixed writer options: same rows in, same bytes out (pyarrow records its version, not a clock).
_PARQUET = {
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": True,
    "write_statistics": True,
    "row_group_size": 256 * 1024,
    "version": "2.6",
}


def to_arrow(spec: Table, columns: dict, numbered: str | None = None) -> pa.Table:
    """The columns as an Arrow table of exactly spec.arrow_schema (plus the sort key, if given)."""
    n = len(next(iter(columns.values())))
    arrays, fields = [], []
    for field in spec.arrow_schema:
        if field.name == numbered:
            value = np.zeros(n, dtype=np.int64)
        else:
            value = columns[field.name]
        if isinstance(value, np.ndarray) and spec.column(field.name).money:
            arr = fen_to_money(value)
        elif isinstance(value, pa.ChunkedArray | pa.Array):
            arr = value.cast(field.type)
        else:
            arr = pa.array(value, type=field.type)
        arrays.append(arr)
        fields.append(field)
    if SORT_KEY in columns and not spec.time_column:
        arrays.append(pa.array(columns[SORT_KEY], type=pa.int64()))
        fields.append(pa.field(SORT_KEY, pa.int64()))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


class TableWriter:
    def __init__(self, out: Path, spec: Table, numbered: str | None = None) -> None:
        self.spec = spec
        self.dir = out / spec.name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.numbered = numbered
        self.next_id = 1
        self.parts = 0
        self.rows = 0
        self.time_key = spec.time_column or SORT_KEY
        self.pending: list[pa.Table] = []

    def add(self, columns: dict) -> None:
        table = to_arrow(self.spec, columns, self.numbered)
        if table.num_rows:
            self.pending.append(table)

    def flush(self, until_us: int | None = None) -> None:
        """Write the held rows before `until_us` (all rows if None) as the next part."""
        if not self.pending:
            return
        table = pa.concat_tables(self.pending)
        self.pending = []
        if self.time_key in table.column_names:
            table = table.take(pc.sort_indices(table, sort_keys=[(self.time_key, "ascending")]))
            if until_us is not None:
                times = table[self.time_key].cast(pa.int64()).to_numpy()
                cut = int(np.searchsorted(times, until_us, side="left"))
                if cut < table.num_rows:
                    self.pending = [table.slice(cut)]
                table = table.slice(0, cut)
        self._write(table)

    def close(self, end_us: int) -> None:
        """Write what remains before the end; rows at or after it are outside the period and dropped."""
        self.flush(end_us)
        self.pending = []
        if self.parts == 0:
            self._write(self.spec.arrow_schema.empty_table(), force=True)

    def _write(self, table: pa.Table, force: bool = False) -> None:
        if table.num_rows == 0 and not force:
            return
        if SORT_KEY in table.column_names and not self.spec.time_column:
            table = table.drop_columns([SORT_KEY])
        if self.numbered:
            ids = np.arange(self.next_id, self.next_id + table.num_rows, dtype=np.int64)
            self.next_id += table.num_rows
            i = table.schema.get_field_index(self.numbered)
            table = table.set_column(i, table.schema.field(i), pa.array(ids))
        pq.write_table(table, self.dir / f"part-{self.parts:05d}.parquet", **_PARQUET)
        self.parts += 1
        self.rows += table.num_rows
