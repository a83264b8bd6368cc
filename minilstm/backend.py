"""The one place that decides which array namespace ``xp`` is.

Every other module reaches arrays through this module: :func:`get_backend`
gives the active :class:`Backend`, whose ``xp`` attribute is the namespace
(NumPy, CuPy or any array-API namespace such as ``array_api_strict``), and
whose methods make arrays on the right device with the right dtype.

Random draws never happen on the device: they come from a seeded NumPy
``Generator`` on the host and are moved over with :meth:`Backend.asarray`, so
the same seed gives the same weights on every backend.
"""
from __future__ import annotations

import contextlib
import contextvars
import functools
import importlib
import numbers
import types
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

DTYPES = ("float32", "float64")


@dataclass(frozen=True)
class Backend:
    """An array namespace and the device its arrays live on.

    Attributes
    ----------
    name : str
        ``"numpy"``, ``"cupy"`` or the namespace module's name.
    xp : module
        The array namespace used for all array maths.
    device : object or None
        The device arrays are created on (``None``: the namespace's default).
    """

    name: str
    xp: types.ModuleType
    device: Any = None

    def dtype(self, dtype: str) -> Any:
        """The namespace's dtype object for ``"float32"`` or ``"float64"``."""
        return getattr(self.xp, check_dtype(dtype))

    def asarray(self, a: Any, dtype: str = "float32") -> Any:
        """Move host data (or a backend array) onto this backend as ``dtype``."""
        if self.device is None:
            return self.xp.asarray(a, dtype=self.dtype(dtype))
        return self.xp.asarray(a, dtype=self.dtype(dtype), device=self.device)

    def zeros(self, shape: tuple[int, ...], dtype: str = "float32") -> Any:
        """A new array of zeros on this backend's device."""
        if self.device is None:
            return self.xp.zeros(shape, dtype=self.dtype(dtype))
        return self.xp.zeros(shape, dtype=self.dtype(dtype), device=self.device)

    def empty(self, shape: tuple[int, ...], dtype: str = "float32") -> Any:
        """A new array whose values are not set (for a buffer written before it is read)."""
        if self.device is None:
            return self.xp.empty(shape, dtype=self.dtype(dtype))
        return self.xp.empty(shape, dtype=self.dtype(dtype), device=self.device)

    def indices(self, host: Any) -> Any:
        """Host integers as an int64 array on this backend's device (for indexing)."""
        if self.device is None:
            return self.xp.asarray(host, dtype=self.xp.int64)
        return self.xp.asarray(host, dtype=self.xp.int64, device=self.device)

    @functools.cached_property
    def array_type(self) -> type:
        """The type of this backend's arrays (to tell them from another library's)."""
        return type(self.zeros((0,)))


def check_dtype(dtype: Any) -> str:
    """Return ``dtype`` as ``"float32"`` or ``"float64"``, or raise a clear error."""
    name = getattr(dtype, "name", None) or getattr(dtype, "__name__", None) or str(dtype)
    name = name.replace("array_api_strict.", "")
    if name not in DTYPES:
        raise ValueError(f"dtype must be one of {DTYPES}, got {dtype!r}")
    return name


def _cupy_backend(device: Any) -> Backend:
    try:
        cupy = importlib.import_module("cupy")
    except ImportError as err:
        raise ImportError(
            "backend 'cupy' needs CuPy: pip install 'minilstm[cuda]'") from err
    if not cupy.cuda.is_available():
        raise RuntimeError("CuPy is installed but no CUDA device/driver is available")
    if device is not None:
        if isinstance(device, bool) or not isinstance(device, numbers.Integral):
            raise TypeError(f"device for backend 'cupy' must be a CUDA device number, got {device!r}")
        cupy.cuda.Device(int(device)).use()
    # CuPy places new arrays on the current device, so no device argument is passed.
    return Backend("cupy", cupy, None)


def make_backend(backend: Any = "numpy", device: Any = None) -> Backend:
    """Build a :class:`Backend` from a name or an array-API namespace module.

    Parameters
    ----------
    backend : {"numpy", "cupy"} or module
        A name, or a namespace module that follows the array API standard
        (for example ``array_api_strict``).
    device : object, optional
        For CuPy, the CUDA device number; for a namespace module, one of its
        devices (``array_api_strict.Device("device1")``). Ignored by NumPy
        unless it is ``"cpu"``.
    """
    if isinstance(backend, Backend):
        return backend
    if isinstance(backend, str):
        if backend == "numpy":
            if device not in (None, "cpu"):
                raise ValueError(f"backend 'numpy' has only device 'cpu', got {device!r}")
            return Backend("numpy", np, None)
        if backend == "cupy":
            return _cupy_backend(device)
        raise ValueError(f"backend must be 'numpy', 'cupy' or an array-API module, got {backend!r}")
    if isinstance(backend, types.ModuleType):
        if backend is np:
            return make_backend("numpy", device)
        if backend.__name__ == "cupy":  # the module itself, as by name (CuPy need not declare the standard)
            return _cupy_backend(device)
        if not hasattr(backend, "asarray") or not hasattr(backend, "tanh"):
            raise TypeError(f"module {backend.__name__!r} is not an array namespace")
        if not hasattr(backend, "__array_api_version__"):  # torch has asarray and tanh but not the standard's API
            raise TypeError(f"module {backend.__name__!r} is not an array-API namespace (it has no "
                            "__array_api_version__): backend must be 'numpy', 'cupy' or a module that follows "
                            "the array API standard, such as array_api_strict")
        if device is not None:
            try:  # an unknown device fails here, not at the first array a layer makes
                backend.zeros((0,), device=device)
            except (TypeError, ValueError) as err:
                raise ValueError(f"device {device!r} is not a device of {backend.__name__!r}: {err}") from err
        return Backend(backend.__name__, backend, device)
    raise TypeError(f"backend must be a name or a module, got {type(backend).__name__}")


# Backend is a frozen dataclass, so one shared default is safe.
_ACTIVE: contextvars.ContextVar[Backend] = contextvars.ContextVar(
    "minilstm_backend", default=Backend("numpy", np, None))  # noqa: B039


def get_backend() -> Backend:
    """The backend in use (NumPy unless :func:`use_backend` said otherwise)."""
    return _ACTIVE.get()


def use_backend(backend: Any = "numpy", device: Any = None) -> Backend:
    """Make ``backend`` the array namespace for everything created from now on.

    Examples
    --------
    >>> import minilstm
    >>> minilstm.use_backend("numpy").name
    'numpy'
    """
    chosen = make_backend(backend, device)
    _ACTIVE.set(chosen)
    return chosen


@contextlib.contextmanager
def backend_scope(backend: Any = "numpy", device: Any = None) -> Iterator[Backend]:
    """``with backend_scope("cupy"): ...`` uses a backend inside the block only."""
    token = _ACTIVE.set(make_backend(backend, device))
    try:
        yield _ACTIVE.get()
    finally:
        _ACTIVE.reset(token)


def backend_available(backend: Any) -> bool:
    """Whether :func:`use_backend` would accept ``backend`` here, asked without raising or changing anything.

    Parameters
    ----------
    backend : {"numpy", "cupy"} or module
        As for :func:`use_backend`. ``"numpy"`` is always available, ``"cupy"``
        where CuPy imports and sees a CUDA device, an array-API module always
        (it is imported already).

    Returns
    -------
    bool

    Raises
    ------
    ValueError, TypeError
        As :func:`use_backend` does for what is no backend at all (``"cuda"``,
        ``3``, ``math``): a typo is an error, not "unavailable".

    Examples
    --------
    >>> import minilstm
    >>> minilstm.backend_available("numpy")
    True
    >>> gpu = "cupy" if minilstm.backend_available("cupy") else "numpy"  # a GPU where there is one
    """
    try:
        make_backend(backend)
    except (ImportError, RuntimeError):  # no CuPy, or CuPy without a CUDA device
        return False
    return True


def namespace(*arrays: Any) -> types.ModuleType:
    """The array namespace of ``arrays`` (the active backend's when they carry none).

    Engine functions call this once at their top (CuPy's ``get_array_module``
    habit) and never branch on the answer.
    """
    for a in arrays:
        xp = _NAMESPACES.get(type(a))
        if xp is None and hasattr(a, "__array_namespace__"):
            xp = _NAMESPACES[type(a)] = a.__array_namespace__()
        if xp is not None:
            return xp
    return get_backend().xp


# an array type's namespace, asked of its first array and kept (a type's namespace does not change):
# asking an array costs 0.8 us (this dict 0.1 us), and the cells ask several times a time step
_NAMESPACES: dict = {}


def concat(arrays: list, axis: int = -1, out: Any = None) -> Any:
    """Join arrays along ``axis`` (``concat`` in the array API, ``concatenate`` before it), into ``out`` if given."""
    join = _join(namespace(*arrays))
    if out is not None and _takes_out(type(out)):
        # straight into out: through into() and a partial this cost 3.4 us where the join costs 1.7 (B = 16,
        # H = 64), and every LSTM and GRU backward step joins its gate gradients (the whole step: cells/common.py)
        return join(arrays, axis=axis, out=out)
    return into(functools.partial(join, axis=axis), arrays, out=out)


@functools.cache
def _join(xp: types.ModuleType) -> Any:
    """``xp``'s function that joins arrays along an axis: ``concat`` in the array API, ``concatenate`` before it."""
    return getattr(xp, "concat", None) or xp.concatenate


def permute_dims(a: Any, axes: tuple) -> Any:
    """Reorder the axes of ``a`` (``permute_dims`` in the array API, ``transpose`` before it)."""
    xp = namespace(a)
    return (getattr(xp, "permute_dims", None) or xp.transpose)(a, axes)


@functools.cache
def _takes_out(array_type: type) -> bool:
    """True for arrays whose namespace's functions write into ``out=`` (NumPy's and CuPy's)."""
    return array_type.__module__.split(".")[0] in ("numpy", "cupy")


def into(f: Any, *args: Any, out: Any = None) -> Any:
    """``f(*args)``, written into ``out`` when one is given, and returned.

    NumPy and CuPy functions write into ``out=`` and make no new array (what the
    time loop's in-place steps rely on); a namespace without ``out=`` (the array
    API, ``array_api_strict``) computes a new array that is copied into ``out``,
    so the same cell code runs on every backend.
    """
    if out is None:
        return f(*args)
    if _takes_out(type(out)):
        return f(*args, out=out)
    out[...] = f(*args)
    return out


class _WithOut:
    """A namespace whose functions take ``out=`` through :func:`into` (for one that has no ``out=``)."""

    def __init__(self, xp: types.ModuleType) -> None:
        self._xp = xp

    def __getattr__(self, name: str) -> Any:
        f = getattr(self._xp, name)
        return functools.partial(into, f) if callable(f) else f


@functools.cache
def with_out(xp: types.ModuleType) -> Any:
    """``xp`` itself where its functions take ``out=`` (NumPy, CuPy: no wrapper on the hot path), else a
    stand-in whose functions do, by copying (``array_api_strict``); cells write ``xp.tanh(a, out=a)``."""
    return xp if xp.__name__.split(".")[0] in ("numpy", "cupy") else _WithOut(xp)


def to_numpy(a: Any) -> np.ndarray:
    """Bring an array of any backend to the host as a NumPy array."""
    if isinstance(a, np.ndarray):
        return a
    if hasattr(a, "get") and callable(a.get):  # CuPy arrays copy to the host with .get()
        return a.get()
    if hasattr(a, "__dlpack__"):
        return np.from_dlpack(a).copy()
    return np.asarray(a)


def rng(seed: Any = None) -> np.random.Generator:
    """A host NumPy ``Generator``: all random draws start here, on every backend."""
    if isinstance(seed, np.random.Generator):
        return seed
    try:
        return np.random.default_rng(seed)
    except (TypeError, ValueError) as err:
        raise type(err)("seed must be None, a non-negative int or a NumPy Generator, "
                        f"got {type(seed).__name__} {seed!r}") from err
