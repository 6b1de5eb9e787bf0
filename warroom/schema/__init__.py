"""The canonical schema: every table Warroom knows, declared once (see tables.py)."""

from warroom.errors import NotFound
from warroom.schema.derived import DERIVED
from warroom.schema.model import Column, Table
from warroom.schema.tables import TABLES
from warroom.schema.types import ColumnType, fen_to_money

# What the metric layer reads: the canonical tables and those computed from them in the warehouse.
READABLE: dict[str, Table] = {**TABLES, **DERIVED}

__all__ = [
    "DERIVED",
    "READABLE",
    "TABLES",
    "Column",
    "ColumnType",
    "Table",
    "fen_to_money",
    "get_table",
    "schema_as_dict",
]


def get_table(name: str) -> Table:
    try:
        return TABLES[name]
    except KeyError:
        raise NotFound(f"unknown table {name!r}; the tables are: {', '.join(TABLES)}") from None


def schema_as_dict() -> dict:
    return {"tables": [t.to_dict() for t in TABLES.values()]}
