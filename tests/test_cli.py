"""The command table of `errsynth`: every command loads, its summary is its own help."""

from __future__ import annotations

import subprocess
import sys

import click
from click.testing import CliRunner

from errsynth.cli import COMMANDS, main


def test_every_command_loads_and_its_summary_is_its_help() -> None:
    ctx = click.Context(main)
    for name, (_, _, summary) in COMMANDS.items():
        command = main.get_command(ctx, name)
        assert command is not None and command.name == name
        short = click.Command(name, help=summary).get_short_help_str(1000)
        assert short == command.get_short_help_str(1000), name


def test_root_help_lists_every_command_without_loading_them() -> None:
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from errsynth.cli import main\n"
        "r = CliRunner().invoke(main, ['--help'])\n"
        "assert r.exit_code == 0, r.output\n"
        "print(r.output)\n"
        "loaded = [m for m in sys.modules if m.startswith(('errsynth.runner', 'errsynth.steps', 'errsynth.engine',"
        " 'errsynth.train', 'errsynth.cli.', 'pyarrow'))]\n"
        "# the group and the one printer every command's errors go through (click + rich)\n"
        "assert sorted(loaded) == ['errsynth.cli.group', 'errsynth.cli.ui', "
        "'errsynth.cli.ui.safe_output'], loaded\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    for name in COMMANDS:
        assert f"  {name} " in out.stdout


def test_help_is_the_same_with_commands_loaded() -> None:
    """The table's summaries give the very list click writes from the loaded commands."""
    lazy = CliRunner().invoke(main, ["--help"], terminal_width=100).output
    ctx = click.Context(main)
    for name in COMMANDS:
        main.get_command(ctx, name)
    assert CliRunner().invoke(main, ["--help"], terminal_width=100).output == lazy
