"""What an operations analysis asks of the metric layer: the board's filters that apply to its metrics, and
values made plain for JSON.

A board's filter bar (channel, category_l1, promo_type) is shared by panels whose metrics read different
tables: promo_type means nothing for page views. Each panel applies the filters its metrics can honour and
says which ones it ignored, rather than failing the whole board.
"""

from collections.abc import Mapping, Sequence
from decimal import Decimal

import pyarrow as pa

from warroom.errors import UserError
from warroom.metrics import Filter, load_catalog
from warroom.metrics.query import check_applies


def split_filters(filters: Mapping[str, str], metrics: Sequence[str]) -> tuple[list[Filter], list[str]]:
    """(the equality filters every metric can take, the names of those that do not apply)."""
    catalog = load_catalog()
    kept, ignored = [], []
    for name, value in filters.items():
        if not value:
            continue
        if catalog.dimension(name) is None:
            raise UserError(f"unknown filter {name!r}; the dimensions are {', '.join(catalog.dimensions)}")
        try:
            for metric in metrics:
                check_applies(catalog, metric, catalog.dimension(name).name)  # type: ignore[union-attr]
        except UserError:
            ignored.append(name)
            continue
        kept.append(Filter(dimension=name, op="=", value=value))
    return kept, ignored


def plain(value: object) -> object:
    """Decimals to floats for JSON and charts: sums stay exact in the metric layer, the page only shows them."""
    return float(value) if isinstance(value, Decimal) else value


def records(table: pa.Table) -> list[dict]:
    """Rows of a result as dicts of plain values."""
    return [{k: plain(v) for k, v in row.items()} for row in table.to_pylist()]
