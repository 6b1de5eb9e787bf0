"""`warroom serve` and `warroom demo`: run the web server, optionally replaying a simulated sale live."""

import shutil
import time
from datetime import datetime
from pathlib import Path

import typer
import uvicorn
from rich.console import Console

from warroom.access import ensure_demo_accounts
from warroom.alerts.scheduler import check_alert_files
from warroom.cli import app
from warroom.cli.times import parse_time
from warroom.config import Settings, get_settings
from warroom.meta import open_metadata
from warroom.simulate import simulate
from warroom.simulate.replay import Replayer
from warroom.warehouse import Warehouse
from warroom.web.app import create_app
from warroom.web.runtime import Replay, Runtime

console = Console()

DEMO_SCALE = 0.5
DEMO_SEED = 7
# Start the replay a few simulated minutes before midnight of 11.11: the first thing a visitor sees is the
# counter crossing into the big day and the post-midnight spike.
DEMO_FROM = "2026-11-10 23:55"


def _serve(runtime: Runtime, settings: Settings) -> None:
    config = uvicorn.Config(create_app(runtime), host=settings.host, port=settings.port, log_level="warning")
    uvicorn.Server(config).run()


def _load_replay(sim_dir: Path, warehouse: Warehouse, start: datetime) -> Replayer:
    replayer = Replayer(sim_dir, warehouse)
    started = time.monotonic()
    with console.status("loading history…") as status:
        replayer.load_history(start, progress=lambda msg: status.update(f"loading {msg}"))
    console.print(
        f"loaded {replayer.rows_ingested:,} rows of history up to {start:%Y-%m-%d %H:%M %Z} "
        f"in {time.monotonic() - started:.1f}s"
    )
    return replayer


@app.command()
def serve(
    replay: Path = typer.Option(None, help="A simulator output folder to replay live while serving."),
    replay_from: str = typer.Option(
        None, "--from", help="Replay: load history before this time, then go live."
    ),
    speed: float = typer.Option(
        None, help="Replay: simulated seconds per real second (default from settings)."
    ),
) -> None:
    """Serve Warroom on WARROOM_HOST:WARROOM_PORT over the warehouse in WARROOM_HOME."""
    settings = get_settings()
    check_alert_files(settings)  # a bad WARROOM_ALERT_RULES file: exit 2 with its file:line problems, at once
    warehouse = Warehouse(settings.warehouse_path)
    plan = None
    if replay is not None:
        if replay_from is None:
            raise typer.BadParameter("--replay needs --from: the moment the live part of the replay starts")
        start = parse_time(replay_from, settings.tz, "--from")
        plan = Replay(_load_replay(replay, warehouse, start), speed or settings.replay_speed)
    meta = open_metadata(settings.metadata_sqlalchemy_url)
    console.print(f"Warroom on [bold]http://{settings.host}:{settings.port}[/]")
    _serve(Runtime(settings, warehouse, meta, replay=plan), settings)


@app.command()
def demo(
    scale: float = typer.Option(DEMO_SCALE, help="Size of the simulated sale (1 = about a million events)."),
    seed: int = typer.Option(DEMO_SEED, help="Random seed of the simulation."),
    replay_from: str = typer.Option(
        DEMO_FROM, "--from", help="Moment the live replay starts (Asia/Shanghai)."
    ),
    speed: float = typer.Option(
        None, help="Simulated seconds per real second (default WARROOM_REPLAY_SPEED)."
    ),
) -> None:
    """Simulate a Double 11, load it and serve it with the day replaying live.

    The demo keeps its data in WARROOM_HOME/demo: the simulation is made once per scale and seed and
    reused; the demo warehouse is rebuilt at every start so the replay begins afresh.
    """
    base = get_settings()
    settings = base.model_copy(update={"home": base.home / "demo"})
    settings.home.mkdir(parents=True, exist_ok=True)
    check_alert_files(settings)
    start = parse_time(replay_from, settings.tz, "--from")

    sim_dir = settings.home / f"sim-scale{scale:g}-seed{seed}"
    if not (sim_dir / "incidents.json").exists():
        partial = sim_dir.with_name(sim_dir.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        began = time.monotonic()
        with console.status(f"simulating a Double 11 at scale {scale:g}…"):
            summary = simulate(partial, scale=scale, seed=seed)
        partial.rename(sim_dir)
        console.print(
            f"simulated {summary['rows'].get('events', 0):,} events in {time.monotonic() - began:.1f}s"
        )

    for stale in (settings.warehouse_path, settings.warehouse_path.with_suffix(".duckdb.wal")):
        stale.unlink(missing_ok=True)
    warehouse = Warehouse(settings.warehouse_path)
    replayer = _load_replay(sim_dir, warehouse, start)

    meta = open_metadata(settings.metadata_sqlalchemy_url)
    with meta() as session:
        accounts = ensure_demo_accounts(session)

    url = f"http://{settings.host}:{settings.port}"
    console.print(f"\n[bold red]Warroom 作战室[/] demo on [bold]{url}[/]")
    for username, password, role in accounts:
        console.print(f"  log in as [bold]{username}[/] / {password}  ({role})")
    console.print(
        f"replaying from {start:%Y-%m-%d %H:%M} at {speed or settings.replay_speed:g}x; Ctrl-C stops\n"
    )
    replay = Replay(replayer, speed or settings.replay_speed)
    _serve(Runtime(settings, warehouse, meta, replay=replay), settings)
