"""The command line's help: a bare ``python -m minilstm`` prints it, and every ``--help`` is plain text
that shows each option's default."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import minilstm
from minilstm import cli
from minilstm.cli import TASKS

ROOT = Path(minilstm.__file__).resolve().parents[1]
COMMANDS = ["train", "check", "flow", "sample"]


def _help(capsys, *command):
    """The ``--help`` text of ``python -m minilstm [command]``, run in-process."""
    with pytest.raises(SystemExit) as exit_info:
        cli.main([*command, "--help"])
    assert exit_info.value.code == 0
    return capsys.readouterr().out


def test_bare_command_prints_the_help_and_trains_nothing(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-m", "minilstm"], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=60)
    assert done.returncode == 2 and done.stderr == ""
    assert done.stdout.startswith("usage: python -m minilstm [-h] COMMAND ...\n")
    assert cli.DESCRIPTION in done.stdout and "examples:" in done.stdout
    assert list(tmp_path.iterdir()) == []  # no runs/ folder: nothing was trained


def test_top_help_has_a_purpose_the_commands_and_examples(capsys):
    text = _help(capsys)
    purpose = text.split("\n\n")[1]
    assert purpose == cli.DESCRIPTION and "\n" not in purpose and len(purpose) < 80
    commands = text.split("commands:\n")[1].split("\n\n")[0]
    for command in COMMANDS:
        assert re.search(rf"^    {command} +\w", commands, flags=re.M), command
    examples = text.split("examples:\n")[1].splitlines()
    for command in COMMANDS:
        assert any(line.startswith(f"  python -m minilstm {command}") for line in examples), command


@pytest.mark.parametrize("command", [[], *([c] for c in COMMANDS)], ids=["top", *COMMANDS])
def test_help_is_plain_text(command, capsys):
    text = _help(capsys, *command)
    for markup in ("``", ":func:", ":class:", ":mod:", "The command line."):
        assert markup not in text, markup


@pytest.mark.parametrize("command", COMMANDS)
def test_every_option_shows_its_default(command, capsys):
    """Each option's help ends in "(default ...)", possibly wrapped over lines."""
    text = _help(capsys, command)
    assert text.split("\n\n")[1].strip(), "no description"
    options = re.split(r"\n  (?=-)", text.split("\noptions:\n")[1])
    assert len(options) > 1
    for option in options:
        name = option.split()[0]
        if name != "-h,":
            assert "(default" in " ".join(option.split()), name


def test_check_help_describes_it(capsys):
    text = _help(capsys, "check")
    assert "Gradient-check every cell and layer option" in text
    assert "largest relative error beyond the noise that passes (default 1e-06)" in " ".join(text.split())


def test_train_help_lists_each_task_and_its_defaults(capsys):
    text = " ".join(_help(capsys, "train").split())
    for name in TASKS:
        assert f" {name} (" in text.split("options:")[0], name  # described in the description
    assert "hidden units per layer (default: the task's: copy 64, python 256, text 128, others 32)" in text
    assert "(default: the task's): sine 20, the input window; adding 50, T," in text
