"""benchmarks/test_cost.py measures the README's own test command (the README's paragraph on its cost is
checked with the other blocks in test_readme_results.py)."""
import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))   # test_cost imports readme_blocks from beside itself
spec = importlib.util.spec_from_file_location("test_cost", ROOT / "benchmarks" / "test_cost.py")
test_cost = importlib.util.module_from_spec(spec)
spec.loader.exec_module(test_cost)


def test_the_measured_commands_are_the_readmes_and_cis():
    readme = test_cost.README.read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = 'pip install -e ".[test]" && python -m pytest'
    assert command in readme and command in ci
    assert f"{' '.join(test_cost.INSTALL[:-1])} \"{test_cost.INSTALL[-1]}\" && {' '.join(test_cost.TEST)}" == command
    assert test_cost.QUICK[-2:] == ["-k", test_cost.CELL]


def test_counts_reads_pytests_summary_line():
    out = "....\n=== short test summary ===\n1900 passed, 315 skipped, 2 deselected in 81.40s (0:01:21)\n"
    assert test_cost.counts(out) == {"passed": 1900, "skipped": 315, "deselected": 2}
    assert test_cost.counts("3 failed, 1 error in 2.0s") == {"failed": 3, "error": 1}
