"""Gradient checking: analytic gradients against central differences, in float64.

The scalar checked is a weighted sum of every output with fixed random weights
(``sum(out * w)``; a weighted sum is a nice hash: any wrong entry of any
gradient shows). The numerical derivative of each entry is the fourth-order
central difference ``n = (-f(+2e) + 8 f(+e) - 8 f(-e) + f(-2e)) / 12e``.

The verdict must not depend on the machine. Rounding makes every value of
``f`` wrong in its last bits, and another BLAS kernel, thread count or NumPy
release moves those bits, so ``n`` carries noise of about ``rounding(f) / e``
that no fixed tolerance can sit safely above. The check therefore measures
that noise where it is made. The same five values give the fourth difference
``D = f(+2e) - 4 f(+e) + 6 f(0) - 4 f(-e) + f(-2e)``, which is
``e**4 f''''`` (about ``1e-16 f''''`` at the default step) plus rounding:
for a smooth ``f`` it is a sample of the rounding noise alone, with standard
deviation ``sqrt(70) s`` when each value of ``f`` is off by noise of standard
deviation ``s``. The rule:

1. ``s`` is the median of ``|D| / sqrt(70)`` over every checked entry whose
   ``D`` is not exactly 0, divided by 0.6745 (the median of ``|N(0, 1)|``),
   and at least one unit of rounding of ``f(0)`` (``2.2e-16 |f(0)|``);
2. each entry's noise is ``max(s, |D| / sqrt(70))``: an entry whose own
   differences are rougher than the rest (a kink of a ReLU inside the
   ``+-2e`` span) is allowed its own larger noise;
3. the numerical derivative's rounding error has standard deviation
   ``0.95 noise / e`` (``sqrt(1 + 64 + 64 + 1) / 12``), and ``|a - n|`` is
   allowed ``MARGIN = 10`` of those;
4. an entry's error is what is left beyond that allowance, relative to the
   gradient's size: ``max(|a - n| - allowance, 0) / (|a| + |n|)``;
   ``passed(tol)`` holds when no entry's error exceeds ``tol``;
5. if ``s`` exceeds ``NOISE_LIMIT = 1e-9`` of the largest ``|f|``, the values of
   ``f`` scatter far beyond rounding (a random draw made anew on each call, or
   differences taken across kinks) and nothing can be judged: a ValueError says
   so, rather than a report whose huge allowances would pass anything.

A correct gradient thus scores 0 on any machine, and a wrong one scores
about its own relative error once that is above the noise: at ``e = 1e-4`` and
``|f| ~ 1`` the allowance is about ``2e-11``, so an entry that is wrong by
1e-4 of itself fails as soon as its true gradient exceeds ``1e-6``
(``tests/test_gradcheck_noise.py`` proves both over many seeds, with the
last bits of ``f`` perturbed). The report also gives, per array, the
largest ``|a - n|`` over the largest ``|a| + |n|``: how many digits the two
agree to, relative to the gradient's scale.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import validate
from .backend import get_backend, to_numpy
from .nn.sequential import random_generators

ROUNDING = float(np.finfo(np.float64).eps)  # one unit of float64 rounding, relative
MARGIN = 10.0             # standard deviations of a difference's noise that |a - n| may reach
_D4_STD = np.sqrt(70.0)   # std of D = f(2e) - 4f(e) + 6f(0) - 4f(-e) + f(-2e) per unit of noise in f
_N_STD = np.sqrt(130.0) / 12.0  # std of (-f(2e) + 8f(e) - 8f(-e) + f(-2e)) / 12 per unit of noise in f
_MEDIAN_ABS_NORMAL = 0.6745
NOISE_LIMIT = 1e-9        # noise of f beyond this share of |f|: not rounding, so nothing can be judged


@dataclass
class GradcheckReport:
    """Per checked array: the worst error beyond the finite differences' noise, the error relative to the
    gradient's scale, and how many entries were checked.

    Attributes
    ----------
    errors : dict of str to float
        Worst ``max(|a - n| - allowance, 0) / (|a| + |n|)`` per array: 0 for a gradient right to within
        the noise, about its own relative error for a wrong one. ``passed`` reads these.
    agreement : dict of str to float
        Per array, the largest ``|a - n|`` over the largest ``|a| + |n|``: the error relative to the
        gradient's scale, how many digits the two agree to (noise included).
    checked : dict of str to int
        Entries checked per array.
    noise : float
        The estimated rounding noise of one value of ``f`` (standard deviation).
    allowance : float
        The allowance ``MARGIN * 0.95 * noise / eps`` of an entry with smooth differences.
    """

    errors: dict = field(default_factory=dict)
    agreement: dict = field(default_factory=dict)
    checked: dict = field(default_factory=dict)
    noise: float = 0.0
    allowance: float = 0.0

    @property
    def worst(self) -> float:
        """The worst error beyond the noise over everything checked."""
        return max(self.errors.values(), default=0.0)

    def passed(self, tol: float = 1e-6) -> bool:
        """True when no entry's error beyond the noise exceeds ``tol``."""
        tol = validate.at_least("tol", tol, 0.0)
        return self.worst <= tol

    def __str__(self) -> str:
        width = max((len(k) for k in self.errors), default=5)
        rows = [f"{'array':<{width}}  {'entries':>7}  {'rel. error':>10}  {'beyond noise':>12}"]
        rows += [f"{k:<{width}}  {self.checked[k]:>7}  {self.agreement[k]:>10.1e}  {v:>12.1e}"
                 for k, v in self.errors.items()]
        rows.append(f"noise of f {self.noise:.1e}: each finite difference trusted to +-{self.allowance:.1e}")
        return "\n".join(rows)


@dataclass
class _Entry:
    """One checked entry: its array, the analytic and numerical derivatives, and its fourth difference."""

    name: str
    exact: float
    numeric: float
    fourth: float
    size: float  # the largest |f| of the four values


def check_gradients(f: Callable[[], float], arrays: dict, analytic: dict, eps: float = 1e-4,
                    max_entries: int | None = None, seed: int = 0) -> GradcheckReport:
    """Compare ``analytic`` gradients of ``f`` with central differences, allowing for their noise.

    The rule (the module's docstring derives it): each entry may differ from its fourth-order central
    difference by ``MARGIN`` standard deviations of that difference's rounding noise, estimated from the
    fourth differences of ``f`` itself; what is left over, relative to the gradient, is the entry's error.

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
    seed : int
        Seed of the choice of entries.

    Returns
    -------
    GradcheckReport
    """
    eps, max_entries, seed = _options(eps, max_entries, seed)
    if set(arrays) != set(analytic):
        raise ValueError(f"analytic must have the keys of arrays {sorted(arrays)}, got {sorted(analytic)}")
    pick = np.random.default_rng(seed)
    f0 = float(f())
    entries, checked = [], {}
    for name, a in arrays.items():
        grad = _analytic(name, a, analytic[name])
        chosen = list(np.ndindex(*a.shape))
        if max_entries is not None and len(chosen) > max_entries:
            chosen = [chosen[i] for i in pick.choice(len(chosen), max_entries, replace=False)]
        entries += [_difference(f, f0, name, a, idx, eps, float(grad[idx])) for idx in chosen]
        checked[name] = len(chosen)
    return _judge(entries, checked, f0, eps)


def _analytic(name: str, a: Any, grad: Any) -> np.ndarray:
    """The analytic gradient of ``a`` on the host, after checking dtype and shape."""
    if str(a.dtype).replace("array_api_strict.", "") != "float64":
        raise ValueError(f"gradcheck needs float64 arrays, {name!r} is {a.dtype}")
    grad = to_numpy(grad)
    if tuple(grad.shape) != tuple(a.shape):
        raise ValueError(f"analytic[{name!r}] has shape {grad.shape}, expected {tuple(a.shape)}")
    return grad


def _difference(f: Callable[[], float], f0: float, name: str, a: Any, idx: tuple, eps: float,
                exact: float) -> _Entry:
    """``f`` at ``a[idx] + (2e, e, -e, -2e)``: the entry's numerical derivative and fourth difference."""
    old = float(a[idx])
    values = []
    for step in (2 * eps, eps, -eps, -2 * eps):
        a[idx] = old + step
        values.append(float(f()))
    a[idx] = old
    f2, f1, fm1, fm2 = values
    numeric = (-f2 + 8 * f1 - 8 * fm1 + fm2) / (12 * eps)  # error O(eps^4), so eps can be large
    fourth = f2 - 4 * f1 + 6 * f0 - 4 * fm1 + fm2             # eps^4 times f's 4th derivative, plus rounding
    return _Entry(name, exact, numeric, fourth, max(abs(v) for v in values))


def _check_noise(noise: float, size: float, eps: float) -> None:
    """A ValueError when ``f``'s values scatter far beyond rounding: then every difference is noise, every
    allowance huge, and a check that passed would pass anything."""
    if noise > NOISE_LIMIT * size:
        raise ValueError(
            f"gradient check: the values of f scatter by {noise:.1e} (|f| up to {size:.1e}), far above float64 "
            f"rounding, so finite differences cannot judge any gradient. Either f is not the same function from "
            f"call to call (a random draw made anew on each forward, such as a dropout mask the check cannot "
            f"replay: give the module a `generator`), or it is not smooth over +-2 eps = {2 * eps:g} (kinks, or "
            f"eps too large)")


def _judge(entries: list, checked: dict, f0: float, eps: float) -> GradcheckReport:
    """Each entry's error beyond its noise allowance, the worst per array."""
    samples = [abs(e.fourth) / _D4_STD for e in entries if e.fourth != 0.0]
    noise = float(np.median(samples)) / _MEDIAN_ABS_NORMAL if samples else 0.0
    noise = max(noise, ROUNDING * abs(f0))
    _check_noise(noise, max([abs(f0), *(e.size for e in entries)]), eps)
    report = GradcheckReport(checked=checked, noise=noise, allowance=MARGIN * _N_STD * noise / eps)
    diffs = {name: [0.0] for name in checked}
    sizes = {name: [0.0] for name in checked}
    report.errors = {name: 0.0 for name in checked}
    for e in entries:
        allowance = MARGIN * _N_STD * max(noise, abs(e.fourth) / _D4_STD) / eps
        diff, size = abs(e.exact - e.numeric), abs(e.exact) + abs(e.numeric)
        if not (np.isfinite(e.exact) and np.isfinite(e.numeric)):
            diff = error = float("inf")  # a nan or inf gradient is never right
        else:
            error = max(diff - allowance, 0.0) / size if size > 0 else 0.0
        report.errors[e.name] = max(report.errors[e.name], error)
        diffs[e.name].append(diff)
        sizes[e.name].append(size)
    report.agreement = {name: max(diffs[name]) / max(sizes[name]) if max(sizes[name]) > 0 else 0.0
                        for name in checked}
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


def gradcheck(layer: Any, *inputs: Any, lengths: Any = None, eps: float = 1e-4, max_entries: int | None = 30,
              seed: int = 0) -> GradcheckReport:
    """Gradient-check a layer: every parameter and every float input.

    The layer must be float64. Its ``forward(*inputs)`` (``forward(*inputs, lengths=lengths)``
    when ``lengths`` is given: a padded batch) may return ``out``,
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
        return layer.forward(*inputs) if lengths is None else layer.forward(*inputs, lengths=lengths)

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
