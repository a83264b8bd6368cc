"""Gradient checking: analytic gradients against central differences, in float64.

The scalar checked is a weighted sum of every output with fixed random weights
(``sum(out * w)``; a weighted sum is a nice hash: any wrong entry of any
gradient shows). The numerical derivative is the fourth-order central
difference ``(-f(+2e) + 8 f(+e) - 8 f(-e) + f(-2e)) / 12e``. The error of each
entry is ``|a - n| / max(|a| + |n|, floor)`` and a report gives the worst one
per parameter and input. The denominator's
floor (1e-6 of ``max(1, |f|)``) keeps entries whose true gradient is ~0 from
dividing rounding noise by ~0.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import validate
from .backend import get_backend, to_numpy
from .nn.sequential import random_generators


@dataclass
class GradcheckReport:
    """Worst relative error per checked array, and how many entries were checked."""

    errors: dict = field(default_factory=dict)
    checked: dict = field(default_factory=dict)

    @property
    def worst(self) -> float:
        """The worst relative error over everything checked."""
        return max(self.errors.values(), default=0.0)

    def passed(self, tol: float = 1e-6) -> bool:
        """True when every worst relative error is at most ``tol``."""
        return self.worst <= tol

    def __str__(self) -> str:
        width = max((len(k) for k in self.errors), default=4)
        rows = [f"{'array':<{width}}  {'entries':>7}  worst rel. error"]
        rows += [f"{k:<{width}}  {self.checked[k]:>7}  {v:.2e}" for k, v in self.errors.items()]
        return "\n".join(rows)


def check_gradients(f: Callable[[], float], arrays: dict, analytic: dict, eps: float = 1e-4,
                    max_entries: int | None = None, seed: int = 0, floor: float = 1e-6
                    ) -> GradcheckReport:
    """Compare ``analytic`` gradients of ``f`` with central differences.

    Parameters
    ----------
    f : callable
        Takes no arguments, reads the arrays in ``arrays`` and returns a float.
    arrays : dict of str to float64 array
        The arrays to perturb; they are changed in place and restored.
    analytic : dict of str to array
        The gradient of ``f`` with respect to each array, same keys and shapes.
    eps : float
        Step of the central difference (fourth order: truncation ~eps**4, rounding ~1e-16 |f| / eps).
    max_entries : int, optional
        Check at most this many randomly chosen entries per array (all if None).
    floor : float
        Smallest denominator, relative to ``max(1, |f|)``: entries whose gradients
        are both far below it are compared in absolute terms, since rounding in
        ``f`` (about ``1e-16 |f| / eps``) makes their relative error meaningless.
    """
    eps, max_entries, seed = _options(eps, max_entries, seed)
    floor = validate.at_least("floor", floor, 0.0, strict=True)
    if set(arrays) != set(analytic):
        raise ValueError(f"analytic must have the keys of arrays {sorted(arrays)}, got {sorted(analytic)}")
    pick = np.random.default_rng(seed)
    report = GradcheckReport()
    floor = floor * max(1.0, abs(f()))
    for name, a in arrays.items():
        if str(a.dtype).replace("array_api_strict.", "") != "float64":
            raise ValueError(f"gradcheck needs float64 arrays, {name!r} is {a.dtype}")
        grad = to_numpy(analytic[name])
        if tuple(grad.shape) != tuple(a.shape):
            raise ValueError(f"analytic[{name!r}] has shape {grad.shape}, expected {tuple(a.shape)}")
        entries = list(np.ndindex(*a.shape))
        if max_entries is not None and len(entries) > max_entries:
            entries = [entries[i] for i in pick.choice(len(entries), max_entries, replace=False)]
        worst = 0.0
        for idx in entries:
            old = float(a[idx])
            values = []
            for step in (2 * eps, eps, -eps, -2 * eps):
                a[idx] = old + step
                values.append(f())
            a[idx] = old
            # fourth-order central difference: error O(eps^4), so eps can be large
            # enough that rounding in f stays far below the tolerance
            numeric = (-values[0] + 8 * values[1] - 8 * values[2] + values[3]) / (12 * eps)
            exact = float(grad[idx])
            worst = max(worst, abs(exact - numeric) / max(abs(exact) + abs(numeric), floor))
        report.errors[name], report.checked[name] = worst, len(entries)
    return report


def _outputs(result: Any) -> list:
    """The arrays of a layer's output, flattened: ``out``, ``(out, h)`` or ``(out, (h, c))``."""
    if isinstance(result, (tuple, list)):
        return [a for part in result for a in _outputs(part)]
    return [result]


def _regroup(flat: list, like: Any) -> Any:
    """``flat`` arrays back in the nesting of ``like``."""
    if isinstance(like, (tuple, list)):
        out = []
        for part in like:
            n = len(_outputs(part))
            out.append(_regroup(flat[:n], part))
            flat = flat[n:]
        return tuple(out)
    return flat[0]


def gradcheck(layer: Any, *inputs: Any, eps: float = 1e-4, max_entries: int | None = 30,
              seed: int = 0) -> GradcheckReport:
    """Gradient-check a layer: every parameter and every float input.

    The layer must be float64. Its ``forward(*inputs)`` may return ``out``,
    ``(out, h_n)`` or ``(out, (h_n, c_n))``; its ``backward`` takes upstream
    gradients in the same nesting and returns the input gradients likewise.
    Dropout masks are held fixed by replaying the layer's random generator.

    Examples
    --------
    >>> import numpy as np, minilstm
    >>> lstm = minilstm.LSTM(3, 4, dtype="float64", seed=0)
    >>> x = np.random.default_rng(0).standard_normal((5, 2, 3))
    >>> minilstm.gradcheck(lstm, x).passed()
    True
    """
    be = get_backend()
    eps, max_entries, seed = _options(eps, max_entries, seed)
    if getattr(layer, "dtype", None) != "float64":
        raise ValueError("gradcheck needs a float64 layer (dtype='float64'), "
                         f"got {getattr(layer, 'dtype', None)!r}")
    draw = np.random.default_rng(seed)
    inputs = tuple(_as_float64(i) for i in inputs)
    generators = random_generators(layer)
    states = {k: g.bit_generator.state for k, g in generators.items()}

    def run() -> Any:
        for k, g in generators.items():  # replay the same dropout masks on every call
            g.bit_generator.state = states[k]
        return layer.forward(*inputs)

    result = run()
    weights = [be.asarray(draw.standard_normal(tuple(o.shape)), "float64") for o in _outputs(result)]

    def f() -> float:
        return float(sum(float(be.xp.sum(o * w)) for o, w in zip(_outputs(run()), weights)))

    upstream = _regroup(weights, result)
    dinputs = layer.backward(*(upstream if isinstance(result, (tuple, list)) else (upstream,)))
    if not isinstance(dinputs, tuple) or len(inputs) == 1:
        dinputs = (dinputs[0] if isinstance(dinputs, tuple) else dinputs,)
    arrays, analytic = dict(layer.params), dict(layer.grads)
    for name, given, grad in zip(("x", "state"), inputs, dinputs):
        if given is None or grad is None:
            continue  # not given (zeros) or not differentiable (integer indices)
        parts, dparts = _outputs(given), _outputs(grad)
        for j, (a, da) in enumerate(zip(parts, dparts)):
            key = f"{name}[{j}]" if len(parts) > 1 else name
            arrays[key], analytic[key] = a, da
    return check_gradients(f, arrays, analytic, eps=eps, max_entries=max_entries, seed=seed)


def _options(eps: Any, max_entries: Any, seed: Any) -> tuple[float, int | None, int]:
    """The checked options: a step ``eps > 0``, ``max_entries`` None or >= 1 (0 would check nothing and
    pass), a seed >= 0."""
    eps = validate.at_least("eps", eps, 0.0, strict=True)
    max_entries = None if max_entries is None else validate.positive_int("max_entries", max_entries)
    return eps, max_entries, validate.count("seed", seed)


def _as_float64(obj: Any) -> Any:
    """Float inputs as float64 arrays of the active backend, others (indices, None) as given."""
    if obj is None:
        return None
    if isinstance(obj, (tuple, list)):
        return tuple(_as_float64(o) for o in obj)
    host = to_numpy(obj) if hasattr(obj, "shape") else np.asarray(obj)
    return get_backend().asarray(host, "float64") if host.dtype.kind == "f" else obj
