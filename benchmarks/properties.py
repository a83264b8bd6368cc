"""The property tests (``tests/test_properties.py``) with hypothesis' ``long`` profile: many more examples.

Run: OPENBLAS_NUM_THREADS=1 python benchmarks/properties.py [--seed N] [--backends numpy,strict]
                                                             [-- extra pytest arguments]

The default run of the test suite tries a few examples per property, the same
ones every time (the ``ci`` profile, derandomized, so CI cannot flake). This
script sets ``MINILSTM_HYPOTHESIS_PROFILE=long`` (see ``tests/strategies.py``):
twenty times as many examples, drawn afresh from ``--seed`` (a random one when
not given; it is printed, and ``--seed`` replays the run). A failure prints the
smallest example hypothesis found and a ``@reproduce_failure`` blob. The
per-property statistics (run time, examples tried, redrawn ones, the options
drawn) follow pytest's summary. It takes about 5 minutes with one BLAS thread
on a shared 2-core machine (seed 2: 600 gradient checks in 184 s, 400 examples
of each other property in 23, 20 and 67 s); not part of CI.
"""
from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=None, help="hypothesis' seed (default: a random one)")
    parser.add_argument("--backends", default="numpy,strict",
                        help="MINILSTM_TEST_BACKENDS for the run (default: numpy,strict)")
    parser.add_argument("pytest_args", nargs="*", help="more arguments for pytest, after --")
    args = parser.parse_args(argv)
    seed = random.randrange(2**32) if args.seed is None else args.seed
    env = {**os.environ, "MINILSTM_HYPOTHESIS_PROFILE": "long", "MINILSTM_TEST_BACKENDS": args.backends}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [ROOT, env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "pytest", "tests/test_properties.py", "-q", "-p", "no:cacheprovider",
               f"--hypothesis-seed={seed}", "--hypothesis-show-statistics", *args.pytest_args]
    print(f"hypothesis seed {seed} (replay: python benchmarks/properties.py --seed {seed})", flush=True)
    start = time.perf_counter()
    code = subprocess.call(command, cwd=ROOT, env=env)
    print(f"long profile: {time.perf_counter() - start:.0f} s, pytest exit code {code}")
    return code


if __name__ == "__main__":
    sys.exit(main())
