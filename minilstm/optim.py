"""Optimizers (SGD, Adam, AdamW, RMSprop, Adagrad) and gradient clipping.

An optimizer holds a ``params`` dict (name -> array, such as ``layer.params``)
and is stepped with a dict of gradients under the same keys::

    opt = Adam(layer.params, lr=1e-3)
    opt.step(layer.grads)      # updates the arrays of layer.params in place

It keeps the dict, not the arrays, so arrays that ``layer.load_state_dict``
puts into the dict are the ones the next step updates. Its state (step count,
moment buffers) lives in the optimizer and travels by :meth:`Optimizer.state_dict`.

Symbols in the equations: ``theta`` a parameter, ``g`` its gradient, ``lr``
the learning rate, ``wd`` the weight decay, ``t`` the steps taken (1 on the
first). Each update is the pseudo-code of torch.optim's documentation, term by
term, so results match PyTorch to rounding. The positional arguments are
torch.optim's first ones, in its order; where our list departs from PyTorch's
the rest are keyword-only, so a PyTorch positional call means the same or is a
TypeError (``SGD(params, lr, momentum, *, nesterov, weight_decay)``: PyTorch's
fourth is ``dampening``).
"""
from __future__ import annotations

import inspect
import math
from typing import Any

from . import validate
from .backend import DTYPES, check_dtype, get_backend, namespace, to_numpy


def _arrays(name: str, arrays: Any) -> dict:
    """``arrays`` if it is a non-empty dict of float32/float64 arrays, else an error naming the key."""
    if not isinstance(arrays, dict):
        raise TypeError(f"{name} must be a dict of name -> array (such as layer.{name}), "
                        f"got {type(arrays).__name__}")
    if not arrays:
        raise ValueError(f"{name} must hold at least one array, got an empty dict")
    for k, a in arrays.items():
        if not hasattr(a, "shape") or not hasattr(a, "dtype"):
            raise TypeError(f"{name}[{k!r}] must be an array, got {type(a).__name__}")
        if str(a.dtype).rpartition(".")[2] not in DTYPES:  # by name: dtypes differ across libraries
            raise TypeError(f"{name}[{k!r}] must be a float32 or float64 array, got dtype {a.dtype}")
    return arrays


class Optimizer:
    """What every optimizer shares: the params dict, ``lr``, the step count ``t`` and the buffers.

    ``state`` maps a buffer's name (``"m"``, ``"v"``, ...) to a dict of arrays
    under the params' keys, made like the params (same namespace, device, dtype).
    Subclasses write :meth:`_update`, the equations for one array.
    """

    def __init__(self, params: dict, lr: float, buffers: tuple = (), fill: float = 0.0) -> None:
        self.params = _arrays("params", params)
        self.lr = validate.at_least("lr", lr, 0.0, strict=True)
        self.t = 0  # steps taken: t in the equations (Adam's bias correction needs it)
        self.state = {b: {k: namespace(p).full_like(p, fill) for k, p in params.items()} for b in buffers}

    @property
    def lr(self) -> float:
        """The learning rate; a schedule may set it, down to 0."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = validate.at_least("lr", value, 0.0)

    def __repr__(self) -> str:
        names = [n for n in inspect.signature(type(self).__init__).parameters if n not in ("self", "params")]
        options = ", ".join(f"{n}={getattr(self, n)!r}" for n in names if hasattr(self, n))
        return f"{type(self).__name__}({options}; {len(self.params)} parameter arrays, {self.t} steps taken)"

    def step(self, grads: dict) -> None:
        """Update every array of ``params`` in place from ``grads`` (same keys, shapes and dtypes)."""
        _arrays("grads", grads)
        validate.keys("grads", grads, self.params, "params")
        for k, p in self.params.items():
            g = grads[k]
            same = (namespace(g) is namespace(p) and g.dtype == p.dtype
                    and getattr(g, "device", None) == getattr(p, "device", None))
            if not same:  # mixing them would fail, or silently cast, inside the update
                raise TypeError(f"grads[{k!r}] must be an array of the namespace, dtype and device of "
                                f"params[{k!r}] ({type(p).__name__} {p.dtype}), "
                                f"got {type(g).__name__} {g.dtype}")
            validate.shape(f"grads[{k!r}]", g, tuple(p.shape), f"(the shape of params[{k!r}])")
        self.t += 1
        for k, p in self.params.items():
            self._update(k, p, grads[k])

    def _update(self, k: str, p: Any, g: Any) -> None:
        raise NotImplementedError

    def state_dict(self) -> dict:
        """``lr``, ``step`` and every buffer as host NumPy arrays under ``"<buffer>/<key>"``."""
        out: dict = {"lr": self.lr, "step": self.t}
        for b, arrays in self.state.items():
            out.update({f"{b}/{k}": to_numpy(a).copy() for k, a in arrays.items()})
        return out

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore what :meth:`state_dict` gave, into an optimizer made with the same arguments.

        The buffers are made on the active backend, which must be the params' one.
        """
        want = {"lr", "step"} | {f"{b}/{k}" for b in self.state for k in self.params}
        validate.keys("state_dict", state_dict, want, type(self).__name__)
        be = get_backend()
        new: dict = {b: {} for b in self.state}
        for b in self.state:
            for k, p in self.params.items():
                if not isinstance(p, be.array_type):
                    raise RuntimeError(f"params[{k!r}] is a {type(p).__name__} but the active backend is "
                                       f"{be.name!r}: load inside the params' backend_scope")
                host = to_numpy(state_dict[f"{b}/{k}"])
                if host.dtype.kind != "f":
                    raise TypeError(f"state_dict['{b}/{k}'] must hold floats, got dtype {host.dtype}")
                validate.shape(f"state_dict['{b}/{k}']", host, tuple(p.shape), f"(the shape of params[{k!r}])")
                new[b][k] = be.asarray(host, check_dtype(p.dtype))
        t = validate.count("state_dict['step']", state_dict["step"])
        self.lr = validate.at_least("state_dict['lr']", state_dict["lr"], 0.0)
        self.t, self.state = t, new


class SGD(Optimizer):
    """Stochastic gradient descent with momentum and Nesterov momentum, as ``torch.optim.SGD``::

        g = g + wd * theta                  (if wd != 0)
        b = momentum * b + g                (if momentum != 0; b starts at 0)
        g = g + momentum * b  if nesterov  else  b
        theta = theta - lr * g
    """

    def __init__(self, params: dict, lr: float, momentum: float = 0.0, *, nesterov: bool = False,
                 weight_decay: float = 0.0) -> None:
        self.momentum = validate.at_least("momentum", momentum, 0.0)
        self.nesterov = validate.boolean("nesterov", nesterov)
        if self.nesterov and self.momentum == 0.0:
            raise ValueError("nesterov=True needs a momentum > 0, got momentum 0.0")
        self.weight_decay = validate.at_least("weight_decay", weight_decay, 0.0)
        super().__init__(params, lr, ("b",) if self.momentum else ())

    def _update(self, k: str, p: Any, g: Any) -> None:
        if self.weight_decay:
            g = g + self.weight_decay * p
        if self.momentum:
            b = self.state["b"][k]
            b[...] = self.momentum * b + g
            g = g + self.momentum * b if self.nesterov else b
        p[...] = p - self.lr * g


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015) with L2 weight decay in the gradient, as ``torch.optim.Adam``::

        g = g + wd * theta                  (if wd != 0)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t),   v_hat = v / (1 - beta2**t)
        theta = theta - lr * m_hat / (sqrt(v_hat) + eps)
    """

    decoupled = False  # AdamW decays theta itself instead of adding wd * theta to g

    def __init__(self, params: dict, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"betas must be a pair (beta1, beta2), got {type(betas).__name__} {betas!r}")
        self.betas = (validate.probability("beta1", betas[0]), validate.probability("beta2", betas[1]))
        self.eps = validate.at_least("eps", eps, 0.0, strict=True)  # > 0: sqrt(v_hat) is 0 where g has been 0
        self.weight_decay = validate.at_least("weight_decay", weight_decay, 0.0)
        super().__init__(params, lr, ("m", "v"))

    def _update(self, k: str, p: Any, g: Any) -> None:
        xp = namespace(p)
        beta1, beta2 = self.betas
        m, v = self.state["m"][k], self.state["v"][k]
        if self.weight_decay and self.decoupled:
            p[...] = p * (1 - self.lr * self.weight_decay)
        elif self.weight_decay:
            g = g + self.weight_decay * p
        m[...] = beta1 * m + (1 - beta1) * g
        v[...] = beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1 ** self.t)  # bias correction: m and v start at 0
        v_hat = v / (1 - beta2 ** self.t)
        p[...] = p - self.lr * m_hat / (xp.sqrt(v_hat) + self.eps)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter 2019), as ``torch.optim.AdamW``::

        theta = theta * (1 - lr * wd)
        then Adam's update with the plain g
    """

    decoupled = True

    def __init__(self, params: dict, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)


class RMSprop(Optimizer):
    """RMSprop (Hinton's lecture 6e), as ``torch.optim.RMSprop`` (not centered)::

        g = g + wd * theta                  (if wd != 0)
        v = alpha * v + (1 - alpha) * g**2
        b = momentum * b + g / (sqrt(v) + eps);  theta = theta - lr * b    (if momentum > 0)
        theta = theta - lr * g / (sqrt(v) + eps)                           (otherwise)
    """

    def __init__(self, params: dict, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8, *,
                 momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        self.alpha = validate.probability("alpha", alpha)
        self.eps = validate.at_least("eps", eps, 0.0, strict=True)  # > 0: sqrt(v) is 0 where g has been 0
        self.momentum = validate.at_least("momentum", momentum, 0.0)
        self.weight_decay = validate.at_least("weight_decay", weight_decay, 0.0)
        super().__init__(params, lr, ("v", "b") if self.momentum else ("v",))

    def _update(self, k: str, p: Any, g: Any) -> None:
        xp = namespace(p)
        if self.weight_decay:
            g = g + self.weight_decay * p
        v = self.state["v"][k]
        v[...] = self.alpha * v + (1 - self.alpha) * g * g
        avg = xp.sqrt(v) + self.eps
        if self.momentum:
            b = self.state["b"][k]
            b[...] = self.momentum * b + g / avg
            p[...] = p - self.lr * b
        else:
            p[...] = p - self.lr * g / avg


class Adagrad(Optimizer):
    """Adagrad (Duchi et al. 2011), as ``torch.optim.Adagrad`` (no lr decay)::

        g = g + wd * theta                  (if wd != 0)
        state_sum = state_sum + g**2        (starts at initial_accumulator_value)
        theta = theta - lr * g / (sqrt(state_sum) + eps)
    """

    def __init__(self, params: dict, lr: float = 1e-2, *, eps: float = 1e-10, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0) -> None:
        self.eps = validate.at_least("eps", eps, 0.0, strict=True)  # > 0: the sum is 0 where g has been 0
        self.weight_decay = validate.at_least("weight_decay", weight_decay, 0.0)
        fill = validate.at_least("initial_accumulator_value", initial_accumulator_value, 0.0)
        self.initial_accumulator_value = fill
        super().__init__(params, lr, ("state_sum",), fill)

    def _update(self, k: str, p: Any, g: Any) -> None:
        xp = namespace(p)
        if self.weight_decay:
            g = g + self.weight_decay * p
        s = self.state["state_sum"][k]
        s[...] = s + g * g
        p[...] = p - self.lr * g / (xp.sqrt(s) + self.eps)


OPTIMIZERS = {"sgd": SGD, "adam": Adam, "adamw": AdamW, "rmsprop": RMSprop, "adagrad": Adagrad}


def make_optimizer(name: str, params: dict, **kwargs: Any) -> Optimizer:
    """The optimizer called ``name`` (a key of :data:`OPTIMIZERS`) over ``params``."""
    validate.choice("optimizer name", name, tuple(OPTIMIZERS))
    return OPTIMIZERS[name](params, **kwargs)


# ---------------------------------------------------------------------- gradient clipping
def global_norm(grads: dict) -> float:
    """The L2 norm of all gradients together, ``sqrt(sum_k sum(g_k**2))``."""
    _arrays("grads", grads)
    # each array's sum of squares comes to the host; the total adds up there in float64
    return math.sqrt(sum(_sum_of_squares(g) for g in grads.values()))


def _sum_of_squares(g: Any) -> float:
    """``sum(g**2)`` as a host float64, scaled by ``max|g|`` first so that float32 squares cannot overflow.

    An exploding gradient (entries near 1e20 in float32) has a finite norm that
    ``sum(g * g)`` would turn into inf, with NumPy's overflow warnings.
    """
    xp = namespace(g)
    if g.size == 0:
        return 0.0
    m = float(to_numpy(xp.max(xp.abs(g))))
    if m == 0.0 or not math.isfinite(m):
        return m * m  # 0, inf or nan: said as it is
    scaled = g / m
    return m * m * float(to_numpy(xp.sum(scaled * scaled)))


def clip_grad_norm(grads: dict, max_norm: float) -> float:
    """Rescale all gradients in place so their global norm is at most ``max_norm``.

    Pascanu et al. 2013: if ``norm > max_norm``, every ``g = g * max_norm / norm``.
    (``torch.nn.utils.clip_grad_norm_`` divides by ``norm + 1e-6`` and so lands
    just under ``max_norm``.) A non-finite norm leaves the gradients as they
    are, so the caller can see it and skip the step.

    Returns
    -------
    norm : float
        The global norm before clipping.
    """
    max_norm = validate.at_least("max_norm", max_norm, 0.0, strict=True)
    norm = global_norm(grads)
    if math.isfinite(norm) and norm > max_norm:
        scale = max_norm / norm
        for g in grads.values():
            g[...] = g * scale
    return norm


def clip_grad_value(grads: dict, clip_value: float) -> None:
    """Clamp every gradient entry to ``[-clip_value, clip_value]`` in place."""
    clip_value = validate.at_least("clip_value", clip_value, 0.0, strict=True)
    for g in _arrays("grads", grads).values():
        g[...] = namespace(g).clip(g, -clip_value, clip_value)
