"""Every example in examples/ runs from a fresh process in its quick mode and writes its figures and
results.json, by default into runs/examples/<its name>/ under the current folder."""
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*.py") if p.stem != "regenerate")  # not an example

# the examples that cannot run at all without an optional package (the others skip their part that needs one)
NEEDS = {"hyperparameter_search": ("optuna", "tune"), "export_to_torch": ("torch", "torch")}

pytest.importorskip("matplotlib")


def _run(script, cwd, *args):
    env = dict(os.environ, MPLBACKEND="Agg")
    return subprocess.run([sys.executable, str(script), "--quick", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs_quick(script, tmp_path):
    package, extra = NEEDS.get(script.stem, (None, None))
    if package is not None and importlib.util.find_spec(package) is None:
        pytest.skip(f"examples/{script.name} needs {package}: pip install 'minilstm[{extra}]'")
    out = tmp_path / "out"
    done = _run(script, tmp_path, "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr, done.stderr
    pngs = list(out.glob("*.png"))
    assert pngs and all(p.read_bytes()[:4] == b"\x89PNG" for p in pngs)
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["quick"] is True


def test_example_writes_to_runs_examples_by_default(tmp_path):
    done = _run(ROOT / "examples" / "seeing_inside.py", tmp_path)
    assert done.returncode == 0, done.stderr
    written = {p.name for p in (tmp_path / "runs" / "examples" / "seeing_inside").iterdir()}
    assert written == {"gradient_flow.png", "gates.png", "jacobian.png", "results.json"}
    assert {p.name for p in tmp_path.iterdir()} == {"runs"}


def test_there_are_examples():
    assert any(p.stem == "seeing_inside" for p in EXAMPLES)
