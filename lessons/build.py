"""Write each lesson notebook from its readable source and execute it, to commit it with its outputs.

Run from the repository root (needs ``pip install -e ".[lessons]"``)::

    python lessons/build.py                 # every lesson, full size, executed
    python lessons/build.py 02              # the lessons whose names start with 02
    python lessons/build.py --quick         # quick sizes (MINILSTM_LESSON_QUICK=1): a smoke test
    python lessons/build.py --no-execute    # only write the notebooks, without outputs
    python lessons/build.py --seed 7        # another seed's rerun, to runs/lessons-seed-7/, never over these

``--seed K`` checks that no sentence of a lesson holds only for its seeds: every literal ``seed=0`` and
``default_rng(0)`` of the sources becomes ``K`` in a copy, which runs (in ``lessons/``, as the lessons do) and
is written beside the committed notebooks' folder, to ``runs/lessons-seed-K/`` (``--out``), for a reader to
hold every claim of the prose against the new outputs.

A source ``lessons/src/NN_name.py`` is a Python file in the "percent" format that
Jupytext, VS Code and Spyder read as cells: ``# %%`` starts a code cell and
``# %% [markdown]`` a Markdown cell whose lines are comments (``# `` is dropped).
The notebook is written to ``lessons/NN_name.ipynb`` and executed with nbclient
(kernel ``python3``) in ``lessons/``, as Jupyter would run it there. Each
lesson's run time is printed (the README states none: a typed time
would not follow the machine).
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
CELL = re.compile(r"^# %%(.*)$", flags=re.M)


def cells(source: str) -> list:
    """The notebook cells of a percent-format source, in order."""
    parts = CELL.split(source)  # [preamble, header, body, header, body, ...]
    out = []
    for header, body in zip(parts[1::2], parts[2::2]):
        body = body.strip("\n")
        if "[markdown]" in header:
            text = "\n".join(line[2:] if line.startswith("# ") else line.lstrip("#") for line in body.splitlines())
            out.append(nbformat.v4.new_markdown_cell(text))
        else:
            out.append(nbformat.v4.new_code_cell(body))
    return out


def notebook(src: Path) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(cells=cells(src.read_text(encoding="utf-8")))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for k, cell in enumerate(nb.cells):
        cell.id = f"{src.stem[:2]}-{k:03d}"  # stable ids: a rebuild changes only what changed
    return nb


SEEDED = re.compile(r"\b(seed=|default_rng\()0\b")  # the literal seeds 0 that --seed replaces


def reseeded(nb: nbformat.NotebookNode, seed: int) -> nbformat.NotebookNode:
    """``nb`` with every literal ``seed=0`` and ``default_rng(0)`` of its code cells made ``seed``."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = SEEDED.sub(lambda m: f"{m.group(1)}{seed}", cell.source)
    return nb


def execute(nb: nbformat.NotebookNode, quick: bool, timeout: int = 600) -> float:
    """Run ``nb`` top to bottom in ``lessons/``; return the seconds it took."""
    os.environ["MINILSTM_LESSON_QUICK"] = "1" if quick else "0"
    start = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                   resources={"metadata": {"path": str(HERE)}}).execute()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="lesson name prefixes (default: all)")
    parser.add_argument("--quick", action="store_true", help="quick sizes (MINILSTM_LESSON_QUICK=1)")
    parser.add_argument("--no-execute", action="store_true", help="write the notebooks without running them")
    parser.add_argument("--seed", type=int, default=None, metavar="K",
                        help="run a copy whose literal seeds 0 are K, written to --out (not over the lessons)")
    parser.add_argument("--out", default=None, metavar="DIR",
                        help="where --seed writes its notebooks (default runs/lessons-seed-K)")
    args = parser.parse_args()
    if args.out is not None and args.seed is None:
        parser.error("--out goes with --seed (the lessons themselves are written beside their sources)")
    if args.seed is not None and (args.seed == 0 or args.no_execute):
        parser.error("--seed K needs K != 0 and execution: it is a rerun")
    folder = HERE if args.seed is None else Path(args.out or HERE.parent / "runs" / f"lessons-seed-{args.seed}")
    folder.mkdir(parents=True, exist_ok=True)
    sources = sorted(p for p in (HERE / "src").glob("[0-9][0-9]_*.py")
                     if not args.names or any(p.stem.startswith(n) for n in args.names))
    if not sources:
        print("no lesson source matches", args.names, file=sys.stderr)
        return 2
    for src in sources:
        nb = notebook(src) if args.seed is None else reseeded(notebook(src), args.seed)
        seconds = None if args.no_execute else execute(nb, args.quick)
        target = folder / f"{src.stem}.ipynb"
        nbformat.write(nb, target)
        shown = target.relative_to(HERE.parent) if target.is_relative_to(HERE.parent) else target
        ran = "" if seconds is None else f": ran in {seconds:.0f} s" + (" (quick)" if args.quick else "")
        print(f"{shown}{ran}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
