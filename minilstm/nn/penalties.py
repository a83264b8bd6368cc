"""Penalties on parameters, added to a loss: each returns its value and its gradients."""
from __future__ import annotations

from .. import validate
from ..backend import get_backend


def l2_penalty(params: dict, weight: float) -> tuple[float, dict]:
    """An L2 penalty on parameters, to add to any loss, and its gradients.

    ``P = (weight/2) sum_k ||p_k||^2`` over the arrays of ``params``, so
    ``dP/dp_k = weight * p_k``: the same pull towards zero as ``weight_decay=weight``
    in :class:`minilstm.SGD` (PyTorch's convention; Keras's ``l2(lam)`` is
    ``weight = 2 lam``). Unlike ``weight_decay`` it is part of the loss you
    report, and you choose the arrays (biases are usually left out).

    Parameters
    ----------
    params : dict of str to float array
        For example ``{k: p for k, p in model.params.items() if "weight" in k}``.
    weight : float >= 0

    Returns
    -------
    value : float
    grads : dict
        ``weight * p`` under the keys of ``params``.

    Examples
    --------
    With :func:`minilstm.train`, pass it as the penalty (weights only, biases left out)::

        minilstm.train(model, data, penalty=lambda p: l2_penalty(
            {k: v for k, v in p.items() if "weight" in k}, 1e-4))

    By hand, add the value to the loss and each gradient to the model's own, after its backward::

        loss, dpred = minilstm.mse_loss(model(x), y)
        model.backward(dpred)
        penalty, dparams = l2_penalty(model.params, 1e-4)
        loss += penalty
        grads = {k: g + dparams[k] if k in dparams else g for k, g in model.grads.items()}
    """
    weight = validate.at_least("weight", weight, 0.0)
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict of arrays (a layer's .params), got {type(params).__name__}")
    xp = get_backend().xp
    value = 0.0
    grads = {}
    for k, p in params.items():
        if not hasattr(p, "shape") or str(p.dtype).rpartition(".")[2] not in ("float32", "float64"):
            raise TypeError(f"params[{k!r}] must be a float array, got {type(p).__name__}")
        value += 0.5 * weight * float(xp.sum(p * p))
        grads[k] = weight * p                            # d(w/2 p^2)/dp = w p
    return value, grads
