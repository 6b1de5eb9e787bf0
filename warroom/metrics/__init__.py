"""The metric layer: every business number, defined once in catalog.yaml and compiled to Ibis.

load_catalog() -> Catalog                     the parsed catalog (cached), .metrics, .dimensions
run_query(warehouse, MetricQuery, principal)  -> QueryResult(rows, columns, sql)
dataset(warehouse, table, columns, filters, principal, limit) -> pyarrow.Table
Principal, Forbidden                          the access hook
"""

from warroom.metrics.access import Forbidden, Principal
from warroom.metrics.catalog import Catalog, CatalogError, Dimension, Metric, check_catalog, load_catalog
from warroom.metrics.engine import ColumnMeta, QueryResult, dataset, run_query
from warroom.metrics.query import Filter, MetricQuery

__all__ = [
    "Catalog", "CatalogError", "ColumnMeta", "Dimension", "Filter", "Forbidden", "Metric", "MetricQuery",
    "Principal", "QueryResult", "check_catalog", "dataset", "load_catalog", "run_query",
]  # fmt: skip
