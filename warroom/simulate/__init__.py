"""A realistic Double 11 with known incidents, as Parquet files in the canonical schema (see simulator.py)."""

from warroom.simulate.simulator import simulate

__all__ = ["simulate"]
