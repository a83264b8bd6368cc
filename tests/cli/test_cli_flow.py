"""``python -m minilstm flow``: the teacher's one command for gradient flow."""
from pathlib import Path

import pytest

from minilstm import cli

pytest.importorskip("matplotlib")


def _is_png(path):
    return Path(path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_flow_default_prints_lags_and_draws(tmp_path, capsys):
    assert cli.main(["flow", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("gradient flow: L = <u, out[99]>, 100 steps, hidden 32")
    header = next(line for line in out.splitlines() if line.startswith("cell"))
    assert header.split() == ["cell", "lag", "1", "lag", "10", "lag", "50", "lag", "100"]
    rows = {line.split()[0]: [float(v) for v in line.split()[1:]] for line in out.splitlines()
            if line.split()[:1] in (["rnn"], ["lstm"], ["gru"])}
    assert set(rows) == {"rnn", "lstm", "gru"}
    for values in rows.values():
        assert values == sorted(values, reverse=True)  # untrained cells: the gradient shrinks with the lag
    assert rows["lstm"][3] > rows["rnn"][3]  # the LSTM's reaches furthest back
    assert out.splitlines()[-1].startswith(f"wrote {tmp_path / 'gradient_flow.png'} (")
    assert _is_png(tmp_path / "gradient_flow.png")


def test_flow_trained_draws_before_and_after(tmp_path, capsys):
    args = ["flow", "--trained", "reber", "--epochs", "1", "--hidden", "4", "--steps", "7", "--out", str(tmp_path)]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "before training" in out and "after 1 epochs on reber" in out
    assert out.splitlines()[-1].startswith(f"wrote {tmp_path / 'gradient_flow_reber.png'} (")
    assert [p.name for p in tmp_path.iterdir()] == ["gradient_flow_reber.png"]
    assert _is_png(tmp_path / "gradient_flow_reber.png")


def test_flow_trained_keeps_the_untrained_plot(tmp_path, capsys):
    assert cli.main(["flow", "--steps", "7", "--hidden", "4", "--out", str(tmp_path)]) == 0
    untrained = (tmp_path / "gradient_flow.png").read_bytes()
    args = ["flow", "--trained", "order", "--epochs", "1", "--hidden", "4", "--out", str(tmp_path)]
    assert cli.main(args) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gradient_flow.png", "gradient_flow_order.png"]
    assert (tmp_path / "gradient_flow.png").read_bytes() == untrained
    assert f"wrote {tmp_path / 'gradient_flow.png'} (" in capsys.readouterr().out


def test_flow_short_sequences_print_only_the_lags_they_have(tmp_path, capsys):
    assert cli.main(["flow", "--steps", "20", "--hidden", "4", "--out", str(tmp_path)]) == 0
    header = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("cell"))
    assert header.split() == ["cell", "lag", "1", "lag", "10"]


@pytest.mark.parametrize("args, message", [
    (["--steps", "0"], "must be a finite number > 0"),
    (["--trained", "nope"], "invalid choice"),
    (["--seed", "-1"], "must be a finite number >= 0"),
])
def test_flow_bad_options_are_usage_errors(args, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["flow", *args])
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


def test_flow_refuses_a_file_as_out_folder(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(SystemExit, match="is a file, not a folder"):
        cli.main(["flow", "--out", str(tmp_path / "f")])


def test_a_closed_pipe_ends_quietly(tmp_path):
    """`python -m minilstm train | true`: the reader is gone before the first epoch is printed; no
    BrokenPipeError traceback, exit status 141 (as a Unix tool killed by SIGPIPE)."""
    import subprocess
    import sys
    done = subprocess.run(f"{sys.executable} -m minilstm train --task reber --epochs 2 --hidden 4 --no-progress "
                          f"--out {tmp_path} | true; echo ${{PIPESTATUS[0]}}", shell=True, executable="/bin/bash",
                          capture_output=True, text=True, timeout=120)
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr
    assert done.stdout.strip() == "141"


def test_flow_refuses_a_hidden_size_past_its_limit(tmp_path, capsys):
    """--hidden 4000 ran for minutes without a word: past the documented 1024, one line and exit code 2."""
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["flow", "--hidden", "4000", "--out", str(tmp_path)])
    assert exit_info.value.code == 2
    assert "argument --hidden: must be at most 1024 (more would run for minutes), got 4000" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["flow", "--help"])
    assert "hidden units of every cell, at most 1024 (default 32)" in " ".join(capsys.readouterr().out.split())


def test_flow_out_that_cannot_be_made_is_one_line(tmp_path):
    """Once a FileNotFoundError traceback (--out /proc/x)."""
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(SystemExit, match=rf"^minilstm flow: error: --out {blocker}/x: Not a directory$"):
        cli.main(["flow", "--out", str(blocker / "x")])
