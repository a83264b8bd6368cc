"""Backend selection, its errors, host transfer, seeds and the dtype policy."""
import math
import sys
import types

import numpy as np
import pytest

import minilstm
from minilstm import GRU, LSTM, RNN, PeepholeLSTM

aas = pytest.importorskip("array_api_strict")

CLASSES = [RNN, LSTM, GRU, PeepholeLSTM]
by_name = pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
T, B, D, H = 4, 2, 3, 5


@pytest.fixture
def restore_backend():
    """Puts back whatever backend was active, for tests that call ``use_backend``."""
    before = minilstm.get_backend()
    yield before
    minilstm.use_backend(before)


def fake_cupy(available: bool) -> types.ModuleType:
    """A stand-in ``cupy`` module whose ``cuda.is_available()`` answers ``available``."""
    cupy = types.ModuleType("cupy")
    cupy.cuda = types.SimpleNamespace(is_available=lambda: available,
                                      Device=lambda n: types.SimpleNamespace(use=lambda: None))
    return cupy


# ---------------------------------------------------------------------- selection
def test_numpy_is_the_default():
    assert minilstm.get_backend().name == "numpy"
    assert minilstm.get_backend().xp is np


def test_use_backend_by_module(restore_backend):
    be = minilstm.use_backend(aas)
    assert minilstm.get_backend() is be
    assert be.name == "array_api_strict" and be.xp is aas


def test_use_backend_numpy_module_is_numpy(restore_backend):
    assert minilstm.use_backend(np).name == "numpy"


@pytest.mark.parametrize("select", [minilstm.use_backend, minilstm.backend_scope], ids=["use", "scope"])
@pytest.mark.parametrize("name", ["torch", "NumPy", ""])
def test_unknown_backend_name(select, name, restore_backend):
    with pytest.raises(ValueError, match=rf"backend must be 'numpy', 'cupy' or an array-API module, got '{name}'"):
        with select(name):
            pass
    assert minilstm.get_backend() is restore_backend


@pytest.mark.parametrize("select", [minilstm.use_backend, minilstm.backend_scope], ids=["use", "scope"])
@pytest.mark.parametrize("obj,given", [(3, "int"), (None, "NoneType"), (np.zeros(3), "ndarray")],
                         ids=["int", "None", "array"])
def test_backend_that_is_not_a_module(select, obj, given, restore_backend):
    with pytest.raises(TypeError, match=rf"backend must be a name or a module, got {given}"):
        with select(obj):
            pass
    assert minilstm.get_backend() is restore_backend


@pytest.mark.parametrize("select", [minilstm.use_backend, minilstm.backend_scope], ids=["use", "scope"])
def test_module_that_is_not_an_array_namespace(select, restore_backend):
    with pytest.raises(TypeError, match=r"module 'math' is not an array namespace"):
        with select(math):
            pass


def test_numpy_has_only_the_cpu(restore_backend):
    with pytest.raises(ValueError, match=r"backend 'numpy' has only device 'cpu', got 'cuda:0'"):
        minilstm.use_backend("numpy", device="cuda:0")


def test_unknown_device_of_a_namespace(restore_backend):
    with pytest.raises(ValueError, match=r"device 'device9' is not a device of 'array_api_strict'"):
        minilstm.use_backend(aas, device="device9")
    assert minilstm.get_backend() is restore_backend


# ---------------------------------------------------------------------- cupy
@pytest.mark.parametrize("select", [minilstm.use_backend, minilstm.backend_scope], ids=["use", "scope"])
def test_cupy_not_installed(select, monkeypatch, restore_backend):
    monkeypatch.setitem(sys.modules, "cupy", None)  # import cupy now raises ImportError
    with pytest.raises(ImportError, match=r"backend 'cupy' needs CuPy: pip install 'minilstm\[cuda\]'"):
        with select("cupy"):
            pass
    assert minilstm.get_backend() is restore_backend


@pytest.mark.parametrize("select", [minilstm.use_backend, minilstm.backend_scope], ids=["use", "scope"])
def test_cupy_without_a_gpu(select, monkeypatch, restore_backend):
    monkeypatch.setitem(sys.modules, "cupy", fake_cupy(available=False))
    with pytest.raises(RuntimeError, match=r"CuPy is installed but no CUDA device/driver is available"):
        with select("cupy"):
            pass
    assert minilstm.get_backend() is restore_backend


@pytest.mark.parametrize("device", ["cuda:0", 1.0, True])
def test_cupy_device_must_be_a_number(device, monkeypatch, restore_backend):
    monkeypatch.setitem(sys.modules, "cupy", fake_cupy(available=True))
    with pytest.raises(TypeError, match=rf"device for backend 'cupy' must be a CUDA device number, got {device!r}"):
        minilstm.use_backend("cupy", device=device)


@pytest.mark.parametrize("cupy,available", [(None, False), (fake_cupy(available=False), False),
                                            (fake_cupy(available=True), True)], ids=["missing", "no-gpu", "gpu"])
def test_backend_available_answers_what_use_backend_would_do(cupy, available, monkeypatch, restore_backend):
    """True exactly where ``use_backend`` succeeds; asking neither raises nor changes the backend in use."""
    monkeypatch.setitem(sys.modules, "cupy", cupy)  # None: import cupy raises ImportError
    assert minilstm.backend_available("cupy") is available
    assert minilstm.get_backend() is restore_backend
    assert minilstm.backend_available("numpy") is True and minilstm.backend_available(aas) is True
    if available:
        assert minilstm.use_backend("cupy").name == "cupy"


@pytest.mark.parametrize("backend,error", [("cuda", ValueError), (3, TypeError), (math, TypeError)],
                         ids=["typo", "int", "not-arrays"])
def test_backend_available_refuses_what_is_no_backend(backend, error):
    """A typo is an error, not a backend that happens to be missing."""
    with pytest.raises(error, match="backend must be|is not an array namespace"):
        minilstm.backend_available(backend)


# ---------------------------------------------------------------------- backend_scope
def test_scope_is_active_inside_only():
    before = minilstm.get_backend()
    with minilstm.backend_scope(aas) as be:
        assert minilstm.get_backend() is be and be.xp is aas
    assert minilstm.get_backend() is before


def test_scope_restores_the_backend_when_the_block_raises():
    before = minilstm.get_backend()
    with pytest.raises(KeyError, match="boom"):
        with minilstm.backend_scope(aas):
            raise KeyError("boom")
    assert minilstm.get_backend() is before


def test_nested_scopes_restore_in_order():
    before = minilstm.get_backend()
    with minilstm.backend_scope(aas) as outer:
        with pytest.raises(ValueError, match="inner"):
            with minilstm.backend_scope("numpy"):
                raise ValueError("inner")
        assert minilstm.get_backend() is outer
    assert minilstm.get_backend() is before


# ---------------------------------------------------------------------- host transfer
def test_to_numpy_of_numpy_is_the_same_array():
    a = np.arange(6.0).reshape(2, 3)
    assert minilstm.to_numpy(a) is a


@pytest.mark.parametrize("device", [None, "device1"])
def test_to_numpy_of_array_api_strict(device):
    host = np.arange(6.0).reshape(2, 3)
    a = aas.asarray(host, device=aas.Device(device) if device else None)
    out = minilstm.to_numpy(a)
    assert isinstance(out, np.ndarray) and out.dtype == np.float64
    np.testing.assert_array_equal(out, host)


# ---------------------------------------------------------------------- devices and seeds
@by_name
def test_params_live_on_the_chosen_device(cls, restore_backend):
    device = aas.Device("device1")
    minilstm.use_backend(aas, device=device)
    layer = cls(D, H, num_layers=2, seed=0)
    for k, v in {**layer.params, **layer.grads}.items():
        assert v.__array_namespace__() is aas and v.device == device, k
    out, _ = layer(np.zeros((T, B, D)))
    assert out.device == device


@by_name
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_same_seed_same_weights_on_every_backend(cls, dtype):
    ref = cls(D, H, num_layers=2, bidirectional=True, dtype=dtype, seed=7).state_dict()
    with minilstm.backend_scope(aas, aas.Device("device1")):
        got = cls(D, H, num_layers=2, bidirectional=True, dtype=dtype, seed=7).state_dict()
    assert sorted(got) == sorted(ref)
    for k in ref:
        assert got[k].dtype == ref[k].dtype == np.dtype(dtype), k
        np.testing.assert_array_equal(got[k], ref[k], err_msg=k)


# ---------------------------------------------------------------------- dtype policy
@pytest.mark.parametrize("cls", [LSTM, GRU], ids=lambda c: c.__name__)
@pytest.mark.parametrize("dtype,given", [("float16", "'float16'"), ("int32", "'int32'"), (32, "32"),
                                         (np.int64, "<class 'numpy.int64'>")],
                         ids=["float16", "int32", "32", "np.int64"])
def test_bad_dtype(cls, dtype, given):
    with pytest.raises(ValueError, match=rf"dtype must be one of \('float32', 'float64'\), got {given}"):
        cls(D, H, dtype=dtype)


def _all_arrays(out, state, dx, dstate, grads):
    parts = {"out": out, "dx": dx}
    for name, s in (("state", state), ("dstate0", dstate)):
        for j, a in enumerate(s if isinstance(s, tuple) else (s,)):
            parts[f"{name}[{j}]"] = a
    return {**parts, **{f"grads[{k}]": v for k, v in grads.items()}}


@by_name
@pytest.mark.parametrize("dtype", [None, "float32", "float64"], ids=["default", "float32", "float64"])
def test_dtype_is_kept_through_forward_and_backward(cls, dtype, backend):
    kwargs = {} if dtype is None else {"dtype": dtype}
    expected = dtype or "float32"
    layer = cls(D, H, num_layers=2, bidirectional=True, seed=0, **kwargs)
    assert layer.dtype == expected
    x = np.random.default_rng(0).standard_normal((T, B, D))  # float64 host data: cast to the layer's dtype
    out, state = layer(x)
    dx, dstate = layer.backward(backend.asarray(np.ones(tuple(out.shape)), expected))
    arrays = {**_all_arrays(out, state, dx, dstate, layer.grads),
              **{f"params[{k}]": v for k, v in layer.params.items()}}
    for name, a in arrays.items():
        assert isinstance(a, backend.array_type), name
        assert a.dtype == backend.dtype(expected), f"{name}: {a.dtype}"
