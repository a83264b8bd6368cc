"""Every lesson runs top to bottom headless in its quick mode, and is committed executed and clean."""
import importlib.util
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

LESSONS = Path(__file__).resolve().parents[1] / "lessons"
NOTEBOOKS = sorted(LESSONS.glob("[0-9][0-9]_*.ipynb"))
IDS = [p.stem for p in NOTEBOOKS]


@pytest.fixture(scope="module")
def build():
    """lessons/build.py as a module (it is a script beside the lessons, not part of the package)."""
    spec = importlib.util.spec_from_file_location("lesson_build", LESSONS / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def problems(nb) -> list:
    """Every error, stderr stream or warning among the outputs of ``nb``, as text."""
    found = []
    for k, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                found.append(f"cell {k}: {out.ename}: {out.evalue}")
            elif out.output_type == "stream" and out.name == "stderr":
                found.append(f"cell {k}: stderr: {out.text[:300]}")
            text = out.get("text", "") or out.get("data", {}).get("text/plain", "")
            if "Warning" in text:
                found.append(f"cell {k}: a warning: {text[:300]}")
    return found


def test_lessons_are_numbered_from_01_and_built_from_their_sources():
    assert [int(p.stem[:2]) for p in NOTEBOOKS] == list(range(1, len(NOTEBOOKS) + 1)) and len(NOTEBOOKS) >= 2
    assert sorted(p.stem for p in (LESSONS / "src").glob("[0-9][0-9]_*.py")) == IDS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_lesson_runs_quick(path, monkeypatch):
    monkeypatch.setenv("MINILSTM_LESSON_QUICK", "1")  # the kernel inherits it and shrinks sizes and epochs
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.cells.append(nbformat.v4.new_code_cell("assert QUICK, 'the lesson did not read MINILSTM_LESSON_QUICK'"))
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(LESSONS)}}).execute()  # a cell error raises
    assert not problems(nb), problems(nb)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_lesson_is_committed_executed_and_clean(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.execution_count is not None for c in code), "run lessons/build.py before committing"
    assert any("image/png" in out.get("data", {}) for c in code for out in c.outputs), "no plot in the outputs"
    assert not problems(nb), problems(nb)
    assert nb.cells[0].cell_type == "markdown" and "you will" in nb.cells[0].source.lower(), \
        "a lesson opens with its learning goals"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_lesson_matches_its_source(path, build):
    """The committed notebook was built from ``lessons/src`` as it is now (edit the source, then rebuild)."""
    built = build.notebook(LESSONS / "src" / f"{path.stem}.py")
    committed = nbformat.read(path, as_version=4)
    assert [(c.cell_type, c.source) for c in committed.cells] == [(c.cell_type, c.source) for c in built.cells], \
        f"{path.name} is out of date: python lessons/build.py {path.stem[:2]}"


def test_a_seed_rerun_replaces_only_the_literal_seeds_0_of_code_cells(build):
    """build.py --seed K: every seed=0 and default_rng(0) of a code cell becomes K; nothing else changes."""
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("In this run (seed=0) the lines climb."),
        nbformat.v4.new_code_cell("m = Model(2, 8, seed=0)\nrng = np.random.default_rng(0)\n"
                                  "other = f(seed=10, base_seed=0, rng=default_rng(01))"),
    ])
    build.reseeded(nb, 7)
    assert nb.cells[0].source == "In this run (seed=0) the lines climb."
    assert nb.cells[1].source == ("m = Model(2, 8, seed=7)\nrng = np.random.default_rng(7)\n"
                                  "other = f(seed=10, base_seed=0, rng=default_rng(01))")
