"""Backends and dtypes for the tests.

``MINILSTM_TEST_BACKENDS`` (comma-separated, default ``numpy,strict,cupy``)
picks the backends: ``strict`` is ``array_api_strict`` with its arrays on a
non-default device, a stand-in that raises on any stray NumPy call; ``cupy``
skips cleanly where no CUDA device is available. ``backend`` runs a test on each;
``check_backend`` on each but ``strict``, for the gradient checks of the full
matrix of options, which would take minutes on the stand-in and prove nothing
more than its equality with NumPy (tested for every option) already does.
"""
from __future__ import annotations

import os

import numpy as np
import pytest

import minilstm

BACKENDS = os.environ.get("MINILSTM_TEST_BACKENDS", "numpy,strict,cupy").split(",")

# worst tolerated relative error between two computations of the same value
TOL = {"float32": 1e-5, "float64": 1e-12}


def _backend_args(name: str) -> tuple:
    if name == "numpy":
        return ("numpy", None)
    if name == "strict":
        aas = pytest.importorskip("array_api_strict")
        return (aas, aas.Device("device1"))
    if name == "cupy":
        cupy = pytest.importorskip("cupy")
        if not cupy.cuda.is_available():
            pytest.skip("CuPy is installed but no CUDA device is available")
        return ("cupy", None)
    raise ValueError(f"unknown test backend {name!r}")


@pytest.fixture(params=BACKENDS)
def backend(request):
    """Runs the test inside ``backend_scope`` of each backend in turn."""
    with minilstm.backend_scope(*_backend_args(request.param)) as be:
        yield be


@pytest.fixture(params=[b for b in BACKENDS if b != "strict"])
def check_backend(request):
    """The backends a gradient check runs on: each but the strict stand-in, which instead proves that it
    computes what NumPy computes (cheaply, without thousands of forwards) plus a few checks of its own."""
    with minilstm.backend_scope(*_backend_args(request.param)) as be:
        yield be


@pytest.fixture(params=["float32", "float64"])
def dtype(request):
    return request.param


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def rel_err(a, b) -> float:
    """Worst elementwise relative error between two arrays of any backend."""
    a, b = minilstm.to_numpy(a).astype(np.float64), minilstm.to_numpy(b).astype(np.float64)
    assert a.shape == b.shape, (a.shape, b.shape)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-30), initial=0.0))


def close(a, b, dtype: str) -> bool:
    """Equal within the tolerance of ``dtype``, relative to the larger array's scale."""
    a, b = minilstm.to_numpy(a).astype(np.float64), minilstm.to_numpy(b).astype(np.float64)
    assert a.shape == b.shape, (a.shape, b.shape)
    scale = max(np.max(np.abs(a), initial=0.0), np.max(np.abs(b), initial=0.0), 1e-30)
    return float(np.max(np.abs(a - b), initial=0.0)) <= TOL[dtype] * 10 * scale


def weights_of(model) -> dict:
    """A host copy of every parameter of ``model``."""
    return {k: minilstm.to_numpy(v).copy() for k, v in model.params.items()}


def assert_same_weights(a: dict, b: dict) -> None:
    """Bit-for-bit equal weights, key by key."""
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
