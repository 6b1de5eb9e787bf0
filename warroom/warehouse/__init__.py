"""The warehouse: DuckDB tables made from the canonical schema, in one file under WARROOM_HOME.

A file, not memory: DuckDB's compressed file tables scan ~2.2x faster than in-memory ones (DESIGN.md).
One process owns the file for writing (the server, or a CLI command when no server runs).
"""

from warroom.warehouse.duck import Warehouse, create_tables_sql, reads_in_this_thread, recording_reads

__all__ = ["Warehouse", "create_tables_sql", "reads_in_this_thread", "recording_reads"]
