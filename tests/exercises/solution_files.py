"""Load a lesson's solution file, ``lessons/solutions/NN_name.py`` (its name starts with a digit, so it cannot
be imported by name), as a module for the tests of tests/exercises."""
import importlib.util
from pathlib import Path

SOLUTIONS = Path(__file__).resolve().parents[2] / "lessons" / "solutions"


def load(stem: str):
    """The module ``lessons/solutions/<stem>.py``, executed once per call."""
    spec = importlib.util.spec_from_file_location(f"solution_{stem}", SOLUTIONS / f"{stem}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
