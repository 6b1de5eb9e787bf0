"""Fixtures shared across areas: a small simulated sale, made once per test session."""

import asyncio
from pathlib import Path

import pytest

# ../shared/data beside the project: beside the main checkout (/work/main -> /work/shared) or, from a git
# worktree (/work/wt/NAME), beside an ancestor, so the first ancestor holding shared/data.
SHARED_DATA = next(
    (
        p / "shared" / "data"
        for p in Path(__file__).resolve().parents[1].parents
        if (p / "shared" / "data").is_dir()
    ),
    Path(__file__).resolve().parents[1].parent / "shared" / "data",
)
SMALL_SCALE = 0.05
SMALL_SEED = 11


@pytest.fixture(scope="session")
def small_sim(tmp_path_factory) -> Path:
    """A simulator output folder at a small scale (a few tens of thousands of events)."""
    from warroom.simulate import simulate

    out = tmp_path_factory.mktemp("sim") / "out"
    simulate(out, scale=SMALL_SCALE, seed=SMALL_SEED)
    return out


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real public data sets beside the project (../shared/data); tests skip when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"{SHARED_DATA} is absent: these tests need the shared public data sets")
    return SHARED_DATA


def run_in_own_loop(coroutine):
    """asyncio.run in a fresh thread: Playwright's sync API keeps an event loop running in the main thread
    while a browser fixture is alive, and asyncio.run refuses to start inside a running loop."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.fixture
def run_async():
    return run_in_own_loop


@pytest.fixture
def run_cli(tmp_path, monkeypatch, capsys):
    """`warroom ARGS...` through the real entry point, in this process, over a fresh home: (exit code, stdout,
    stderr). The process-wide settings are read afresh for each call (get_settings is cached by whatever ran
    first: a `serve` that saw no WARROOM_ALERT_RULES would serve for good) and for the tests after this one."""
    import sys

    from warroom.cli import main
    from warroom.config import get_settings

    monkeypatch.setenv("WARROOM_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "200")  # Rich tables: no wrapping in the captured output

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["warroom", *args])
        get_settings.cache_clear()
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code
        out, err = capsys.readouterr()
        return code, out, err

    yield run
    get_settings.cache_clear()
