"""The README documents every setting and every command (Datasette's habit: undocumented means a failing test)."""

from pathlib import Path

from warroom.cli import app
from warroom.config import Settings

README = (Path(__file__).parents[1] / "README.md").read_text()


def test_every_setting_is_in_the_readme():
    missing = [
        f"WARROOM_{name.upper()}" for name in Settings.model_fields if f"WARROOM_{name.upper()}" not in README
    ]
    assert not missing, f"document these settings in README.md: {missing}"


def test_every_command_is_in_the_readme():
    import typer.main

    group = typer.main.get_command(app)
    documented = {
        word for line in README.splitlines() if line.startswith("warroom ") for word in line.split()[1:4]
    }
    missing = [name for name in group.commands if name not in documented]
    assert not missing, f"document these commands in README.md: {missing}"


def test_readme_shows_the_two_commands():
    assert "make demo" in README and "make test" in README
