"""The logical column types of the canonical schema and how each maps to Arrow and DuckDB.

Money is CNY with fen precision, DECIMAL(18,2), never float: sums of floats drift by fen over
millions of rows and finance's totals must tie out exactly. Times are UTC instants.
"""

from enum import StrEnum

import numpy as np
import pyarrow as pa


class ColumnType(StrEnum):
    ID = "id"  # BIGINT identifier
    INT = "int"
    FLOAT = "float"
    MONEY = "money"
    TEXT = "text"
    TIMESTAMP = "timestamp"
    BOOL = "bool"

    @property
    def arrow(self) -> pa.DataType:
        return _ARROW[self]

    @property
    def duckdb(self) -> str:
        return _DUCKDB[self]


MONEY_ARROW = pa.decimal128(18, 2)

_ARROW = {
    ColumnType.ID: pa.int64(),
    ColumnType.INT: pa.int64(),
    ColumnType.FLOAT: pa.float64(),
    ColumnType.MONEY: MONEY_ARROW,
    ColumnType.TEXT: pa.string(),
    ColumnType.TIMESTAMP: pa.timestamp("us", tz="UTC"),
    ColumnType.BOOL: pa.bool_(),
}

_DUCKDB = {
    ColumnType.ID: "BIGINT",
    ColumnType.INT: "BIGINT",
    ColumnType.FLOAT: "DOUBLE",
    ColumnType.MONEY: "DECIMAL(18,2)",
    ColumnType.TEXT: "VARCHAR",
    ColumnType.TIMESTAMP: "TIMESTAMPTZ",
    ColumnType.BOOL: "BOOLEAN",
}


def fen_to_money(fen: np.ndarray) -> pa.Array:
    """An int64 array of fen (1/100 CNY) as a DECIMAL(18,2) Arrow array, exactly and without a Python loop.

    decimal128 stores the unscaled integer as 16 little-endian bytes, so fen 12345 is 123.45 once the
    high 8 bytes carry the sign.
    """
    fen = np.ascontiguousarray(fen, dtype=np.int64)
    words = np.empty((len(fen), 2), dtype=np.int64)
    words[:, 0] = fen
    words[:, 1] = fen >> 63  # sign extension
    return pa.Array.from_buffers(MONEY_ARROW, len(fen), [None, pa.py_buffer(words.tobytes())])
