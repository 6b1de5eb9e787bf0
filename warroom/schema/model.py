"""The shapes the canonical schema is declared in: Column and Table, frozen data."""

from dataclasses import dataclass, field

import pyarrow as pa

from warroom.schema.types import ColumnType


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    description: str
    required: bool = True
    enum: tuple[str, ...] | None = None
    pii: bool = False
    minimum: float | None = None
    maximum: float | None = None

    @property
    def money(self) -> bool:
        return self.type is ColumnType.MONEY

    def to_dict(self) -> dict:
        out = {
            "name": self.name,
            "type": self.type.value,
            "duckdb_type": self.type.duckdb,
            "required": self.required,
            "description": self.description,
        }
        for key in ("enum", "minimum", "maximum"):
            if getattr(self, key) is not None:
                out[key] = list(self.enum) if key == "enum" else getattr(self, key)
        if self.pii:
            out["pii"] = True
        if self.money:
            out["money"] = True
        return out


@dataclass(frozen=True)
class Table:
    name: str
    kind: str  # "dimension", "fact", or "derived" (computed in the warehouse: schema/derived.py)
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # the identity of a row: a second row with the same key is a duplicate or an update
    time_column: str | None = None
    # Rows whose key repeats replace the earlier row (an order changing status) instead of counting as duplicates.
    upsert: bool = False
    # False for data from outside the shop's own trade (market listings), which the simulator does not make.
    simulated: bool = True
    _by_name: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {c.name: c for c in self.columns})
        missing = [k for k in self.key if k not in self._by_name]
        if missing:
            raise ValueError(f"table {self.name}: key columns {missing} are not columns")

    def column(self, name: str) -> Column:
        return self._by_name[name]

    def has(self, name: str) -> bool:
        return name in self._by_name

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def arrow_schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.type.arrow, nullable=not c.required) for c in self.columns])

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "kind": self.kind,
            "description": self.description,
            "key": list(self.key),
            "time_column": self.time_column,
            "upsert": self.upsert,
            "simulated": self.simulated,
            "columns": [c.to_dict() for c in self.columns],
        }
