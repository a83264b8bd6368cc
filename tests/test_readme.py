"""The README's Python examples run as written."""
import os
import re

import pytest

README = os.path.join(os.path.dirname(__file__), os.pardir, "README.md")


def _python_blocks():
    with open(README, encoding="utf-8") as f:
        text = f.read()
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


@pytest.mark.parametrize("index", range(len(_python_blocks())))
def test_readme_example_runs(index, tmp_path, monkeypatch):
    code = _python_blocks()[index]
    if "import torch" in code:
        pytest.importorskip("torch")
    if 'use_backend("cupy")' in code:
        pytest.skip("needs a CUDA device")
    monkeypatch.chdir(tmp_path)  # examples may write files
    exec(compile(code, f"README block {index}", "exec"), {})
