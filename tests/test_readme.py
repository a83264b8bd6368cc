"""The README's Python examples run as written, after the install command the README names for them."""
import os
import re

import pytest

import minilstm

README = os.path.join(os.path.dirname(__file__), os.pardir, "README.md")
# the optional modules a block may import, and the extra that installs each
EXTRAS = {"torch": "torch", "matplotlib": "plot", "tqdm": "progress", "cupy": "cuda"}
IMPORTS = {"np": "import numpy as np", "minilstm": "import minilstm", "data": "from minilstm import data",
           "torch": "import torch"}


def _python_blocks():
    """(the prose since the previous code block, the code) of each Python block."""
    with open(README, encoding="utf-8") as f:
        text = f.read()
    parts = re.split(r"```python\n(.*?)```", text, flags=re.S)
    return [(re.split(r"```.*?```", parts[i - 1], flags=re.S)[-1], parts[i]) for i in range(1, len(parts), 2)]


@pytest.mark.parametrize("index", range(len(_python_blocks())))
def test_readme_block_imports_what_it_uses(index):
    """A block that uses ``np.``, ``minilstm.``, ``data.`` or ``torch.`` imports it, and a block that
    imports an optional module says, in the text just before it, which extra installs it."""
    prose, code = _python_blocks()[index]
    for name, statement in IMPORTS.items():
        if re.search(rf"(?<![\w.]){name}\.", code):
            assert statement in code, f"README block {index} uses {name}. without {statement!r}"
    for module, extra in EXTRAS.items():
        if re.search(rf"^\s*(import|from) {module}\b", code, flags=re.M):
            assert f'pip install ".[{extra}]"' in prose + code, \
                f"README block {index} imports {module}; say pip install \".[{extra}]\" before it"


@pytest.mark.parametrize("index", range(len(_python_blocks())))
def test_readme_example_runs(index, tmp_path, monkeypatch):
    """Every block runs as written, on a machine without CuPy or a GPU too (only torch's may be skipped)."""
    _, code = _python_blocks()[index]
    if "import torch" in code:
        pytest.importorskip("torch")
    monkeypatch.chdir(tmp_path)  # examples may write files
    before = minilstm.get_backend()
    try:
        exec(compile(code, f"README block {index}", "exec"), {})
    finally:
        minilstm.use_backend(before)  # a block that chooses a backend chooses it for itself only
