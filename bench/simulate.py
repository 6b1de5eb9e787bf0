"""Benchmark the simulator: events per second and peak memory at scale 1 and 10 (and 100 with --scale 100).

Each run is a fresh subprocess, so its peak RSS (resource.getrusage(RUSAGE_CHILDREN).ru_maxrss, the
largest child so far) is its own: runs go smallest first and each reads the maximum after it finishes.
The last line printed is one JSON object with the figures.

    .venv/bin/python bench/simulate.py [--scale 1 --scale 10 ...] [--out DIR]
"""

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_CHILD = """
import json, sys
from pathlib import Path
from warroom.simulate import simulate
summary = simulate(Path(sys.argv[1]), scale=float(sys.argv[2]), seed=1)
print(json.dumps(summary))
"""


def run(scale: float, out: Path) -> dict:
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(out), str(scale)], capture_output=True, text=True, check=True
    )
    wall = time.monotonic() - began
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    events = summary["rows"]["events"]
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
    return {
        "scale": scale,
        "events": events,
        "rows": sum(summary["rows"].values()),
        "seconds": summary["seconds"],
        "wall_seconds": round(wall, 2),
        "events_per_s": round(events / summary["seconds"]),
        "peak_rss_mib": round(peak_mib, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, action="append", help="scales to run (default: 1 and 10)")
    parser.add_argument(
        "--out", type=Path, help="where to write (default: a temporary folder, removed after)"
    )
    args = parser.parse_args()
    scales = sorted(args.scale or [1.0, 10.0])
    results = {}
    with tempfile.TemporaryDirectory(prefix="warroom-bench-") as tmp:
        base = args.out or Path(tmp)
        for scale in scales:
            r = run(scale, base / f"scale-{scale:g}")
            results[scale] = r
            print(
                f"scale {scale:g}: {r['events']:,} events, {r['rows']:,} rows in {r['seconds']} s "
                f"-> {r['events_per_s']:,} events/s, peak RSS {r['peak_rss_mib']:,} MiB"
            )
    figures = {}
    for scale, r in results.items():
        figures[f"events_per_s_scale{scale:g}"] = r["events_per_s"]
        figures[f"peak_rss_mib_scale{scale:g}"] = r["peak_rss_mib"]
        figures[f"seconds_scale{scale:g}"] = r["seconds"]
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
