"""The ingest layer: every row enters the warehouse through here, validated, deduplicated, bad rows quarantined.

- validate.py / coerce.py: columnar checks of a batch against the canonical schema.
- load.py: `ingest_batch`, the one write path (batch API: files, simulator, later HTTP push and databases).
- quarantine.py / replay.py: rejected rows kept with their reasons, and loaded again after a fix.
- files.py / mapping.py: reading CSV, TSV, JSON lines, Parquet and Excel in chunks; renaming and reshaping
  a foreign file's columns by a YAML mapping.
- bulk.py: loading a simulator output directory of Parquet files.
"""

from warroom.ingest.load import IngestReport, ingest_batch
from warroom.ingest.validate import Reject, Validation, validate

__all__ = ["IngestReport", "Reject", "Validation", "ingest_batch", "validate"]
