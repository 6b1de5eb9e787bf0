"""`warroom simulate` end to end, in a subprocess as a user runs it."""

import json
import subprocess
import sys


def _warroom(*args: str) -> subprocess.CompletedProcess:
    code = "import sys; from warroom.cli import main; sys.argv = ['warroom', *sys.argv[1:]]; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300)


def test_simulate_writes_a_window_and_prints_its_summary(tmp_path):
    done = _warroom(
        "simulate", "--out", str(tmp_path), "--scale", "0.05", "--seed", "4",
        "--start", "2026-11-10T20:00", "--end", "2026-11-11T01:00+08:00", "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["start"] == "2026-11-10T20:00:00+08:00" and summary["end"] == "2026-11-11T01:00:00+08:00"
    assert summary["rows"]["events"] > 1000
    assert (tmp_path / "incidents.json").is_file()
    assert (tmp_path / "events" / "part-00000.parquet").is_file()


def test_bad_options_exit_2_with_a_message_naming_the_option(tmp_path):
    for args, words in (
        (["--scale", "-1"], "--scale"),
        (["--start", "yesterday"], "--start 'yesterday' is not a date-time"),
        (["--start", "2026-11-10T20:30"], "whole hour"),
        (["--start", "2026-11-11T00:00", "--end", "2026-11-10T00:00"], "must be after"),
    ):
        done = _warroom("simulate", "--out", str(tmp_path), *args)
        assert done.returncode == 2, args
        assert words in done.stderr, (args, done.stderr)
