"""The README's blocks built from results files say what the committed files say.

``python examples/regenerate.py`` runs the examples, the task defaults and ``python -m minilstm flow``, writes
examples/results.json, examples/task_defaults.json and examples/flow.json, and builds the README's blocks from
them and from the benchmarks' files in benchmarks/results/. These tests run nothing long: they read the files
(and recompute the flow table, a fraction of a second). tests/test_readme_numbers.py checks the prose.
"""
import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("regenerate", ROOT / "examples" / "regenerate.py")
regenerate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(regenerate)
readme_blocks = sys.modules["readme_blocks"]   # benchmarks/readme_blocks.py, as regenerate.py imported it

RESULTS = json.loads(regenerate.EXAMPLE_RESULTS.read_text(encoding="utf-8"))
TASK_DEFAULTS = json.loads(regenerate.TASK_RESULTS.read_text(encoding="utf-8"))
FLOW = json.loads(regenerate.FLOW_RESULTS.read_text(encoding="utf-8"))
README = regenerate.README.read_text(encoding="utf-8")
BLOCKS = readme_blocks.blocks()
# a number as the tables write it: 0.103, 1e-2, 3.3e-07, 8000, 99.95 % (not the 0 of y0 or the 1 of Conv1d)
NUMBER = re.compile(r"(?<![\w.])(\d+)(?:\.(\d+))?(?:e([-+]?\d+))?( %)?(?!\w)")


def _block(name):
    found = re.search(rf"<!-- {name} -->\n(.*?)\n<!-- /{name} -->", README, re.S)
    assert found, f"README.md lacks the <!-- {name} --> ... <!-- /{name} --> markers"
    return found.group(1)


@pytest.mark.parametrize("name", BLOCKS)
def test_readme_block_is_built_from_the_results(name):
    assert _block(name) == BLOCKS[name], (f"README.md's {name} block differs from the committed results; "
                                          "python examples/regenerate.py --readme-only rebuilds it")


def test_every_block_in_the_readme_has_a_builder():
    assert set(re.findall(r"<!-- /([\w-]+) -->", README)) == set(BLOCKS)


def test_the_flow_table_is_what_the_command_computes():
    """The committed norms are this checkout's: ``python -m minilstm flow``'s computation, rerun in-process.
    Float32 sums in another order (another BLAS kernel or thread count) moved them by up to 4e-7 relative in
    trials; the README prints two digits, and a change to a cell or to the command moves them far more."""
    fresh = regenerate.flow_norms()
    assert fresh["settings"] == FLOW["settings"]
    assert fresh["gradient_norm"].keys() == FLOW["gradient_norm"].keys()
    for cell, by_lag in FLOW["gradient_norm"].items():
        assert fresh["gradient_norm"][cell].keys() == by_lag.keys()
        for lag, norm in by_lag.items():
            assert fresh["gradient_norm"][cell][lag] == pytest.approx(norm, rel=1e-4), (cell, lag)


def _numbers(obj):
    """Every number in a results file, keys such as a lag's "99" included."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from _numbers(key)
            yield from _numbers(value)
    elif isinstance(obj, list):
        for value in obj:
            yield from _numbers(value)
    elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
        yield obj
    elif isinstance(obj, str) and re.fullmatch(r"\d+(\.\d+)?", obj):
        yield float(obj)


def _rows(name):
    """(the row's first cell, its other cells) for each row of the README's table ``name``."""
    lines = [line for line in _block(name).splitlines() if line.startswith("| ") and not line.startswith("| ---")]
    return [(cells[0], cells[1:]) for cells in (line.strip("| ").split(" | ") for line in lines[1:])]


def _example(command):
    return re.search(r"examples/(\w+)\.py", command).group(1)


ROWS = [pytest.param(cells[-1:], RESULTS["examples"][_example(first)], id=_example(first))  # the results column
        for first, cells in _rows("examples-table")]
ROWS += [pytest.param(cells, {key: value for key, value in TASK_DEFAULTS["tasks"][first].items()
                              if key not in ("train_loss", "val_loss")}, id=f"task {first}")  # all but the name
         for first, cells in _rows("task-defaults")]


@pytest.mark.parametrize("cells, results", ROWS)
def test_every_number_in_a_table_row_is_in_its_results(cells, results):
    """Independently of how the tables are built: each number a row shows rounds from a number in the results
    of that row's example or task (per-epoch losses left out, so that a number cannot match by chance)."""
    known = list(_numbers(results))
    for cell in cells:
        for match in NUMBER.finditer(cell):
            _, decimals, exponent, per_cent = match.groups()
            shown = float(match.group(0).removesuffix(" %"))
            tolerance = 0.5 * 10.0 ** (int(exponent or 0) - len(decimals or ""))
            if per_cent:
                shown, tolerance = shown / 100, tolerance / 100
            assert any(abs(x - shown) <= tolerance * (1 + 1e-9) for x in known), \
                f"{match.group(0)!r} in {cell!r} is in no number of its results"


def test_the_results_are_full_runs_of_every_example_and_task():
    assert set(RESULTS["examples"]) == {p.stem for p in regenerate.examples()}
    assert not any(r["quick"] for r in RESULTS["examples"].values())
    assert tuple(TASK_DEFAULTS["tasks"]) == regenerate.TASKS


def test_committed_figures_are_the_examples_figures():
    """examples/figures/ holds every figure an example writes and nothing else; the README's links exist."""
    written = {name for script in regenerate.examples()
               for name in re.findall(r'"(\w+\.png)"', script.read_text(encoding="utf-8"))}
    assert {p.name for p in regenerate.FIGURES.iterdir()} == written
    for link in re.findall(r"\]\((examples/[^)]+\.png)\)", README):
        assert (ROOT / link).is_file(), link


def test_the_sine_forecasters_docstring_counts_its_windows():
    doc = " ".join((ROOT / "examples" / "sine_forecaster.py").read_text(encoding="utf-8").split())
    train, test = map(int, re.search(r"\((\d+) training and (\d+) test windows", doc).groups())
    r = RESULTS["examples"]["sine_forecaster"]
    assert (train, test) == (r["train_windows"], r["test_windows"])
