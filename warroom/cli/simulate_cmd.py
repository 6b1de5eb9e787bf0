"""`warroom simulate`: write a simulated Double 11 (Parquet parts per table and incidents.json) to a folder."""

from datetime import datetime
from pathlib import Path

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from warroom.cli import app
from warroom.cli.times import parse_time
from warroom.simulate import simulate as run_simulation
from warroom.simulate.calendar import SHANGHAI


def _moment(value: str | None, option: str) -> datetime | None:
    """The simulated sale's calendar is Shanghai's, whatever zone the room displays in."""
    return None if value is None else parse_time(value, SHANGHAI, option)


@app.command()
def simulate(
    out: Path = typer.Option(
        ..., "--out", help="Folder to write <table>/part-*.parquet and incidents.json to."
    ),
    scale: float = typer.Option(
        1.0, "--scale", help="1 is about a million click events; 0.1 for a quick run."
    ),
    seed: int = typer.Option(1, "--seed", help="Same seed and scale give byte-identical files."),
    start: str = typer.Option(
        None, "--start", help="Start, ISO 8601 (Shanghai if no offset); default 2026-10-20."
    ),
    end: str = typer.Option(None, "--end", help="End, exclusive; default 2026-11-12 00:00 Shanghai."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Simulate a Double 11 sale with known incidents, in the canonical schema."""
    with Progress(
        TextColumn("simulating"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
        TimeElapsedColumn(), console=Console(stderr=True), transient=as_json,
    ) as bar:  # fmt: skip
        task = bar.add_task("", total=None)

        def progress(done: int, total: int, label: str) -> None:
            bar.update(task, completed=done, total=total, description=f"up to {label}")

        summary = run_simulation(out, scale, seed, _moment(start, "--start"), _moment(end, "--end"), progress)
    if as_json:
        print(orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode())
        return
    console = Console()
    console.print(f"wrote {summary['out']} in {summary['seconds']} s ({summary['chunks']} chunks)")
    for name, rows in summary["rows"].items():
        console.print(f"  {name:<16}{rows:>12,}")
    console.print(f"incidents: {', '.join(summary['incidents'])} (see incidents.json)")
