"""How many threads the BLAS under NumPy may use while minilstm trains.

A recurrent network does many small matrix products, one per time step, each
waiting for the one before. On small products BLAS threads cost more than they
give: waking and joining the threads takes longer than the product, and when
another process keeps the cores busy each join waits for a descheduled thread
(``benchmarks/blas_threads.py`` measures it; the README's "BLAS threads"
table). On large products (a layer of 512 units, batches of 64) the threads
pay on an idle machine.

So :func:`minilstm.train`, :func:`~minilstm.predict` and
:func:`~minilstm.evaluate` decide by the size of the recurrent product
(``blas_threads="auto"``): one BLAS thread while they run when
``batch * hidden_size**2`` is below :data:`LARGE` (a 256-unit layer on batches
of 64), BLAS's own count otherwise; threadpoolctl sets it and gives the old
count back when they return. The user decides instead when:

- ``blas_threads`` is an int (that many threads) or ``None`` (leave BLAS as it is);
- or one of :data:`ENV_VARS` is set in the environment (e.g.
  ``OPENBLAS_NUM_THREADS=2 python -m minilstm train``): "auto" then leaves BLAS as
  that variable made it.
"""
from __future__ import annotations

import contextlib
import os
from typing import Any

from . import validate

# Variables through which a user sets the thread count of the BLAS libraries NumPy may use.
ENV_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")
# batch * hidden_size**2 from which "auto" leaves BLAS its threads: B = 64, H = 256
LARGE = 64 * 256**2


def resolve(blas_threads: Any = "auto", work: int = 0) -> int | None:
    """The BLAS thread limit that ``blas_threads`` asks for; ``None`` means no limit.

    Parameters
    ----------
    blas_threads : "auto", int >= 1 or None
        "auto": 1 when ``work`` is below :data:`LARGE` and no variable of
        :data:`ENV_VARS` is set, else ``None``.
    work : int
        The size of the recurrent product, ``batch * hidden_size**2``.

    Returns
    -------
    int or None
    """
    if blas_threads is None:
        return None
    if isinstance(blas_threads, str):
        validate.choice("blas_threads", blas_threads, ("auto",))
        return None if work >= LARGE or any(os.environ.get(v) for v in ENV_VARS) else 1
    return validate.positive_int("blas_threads", blas_threads)


def blas_limit(blas_threads: Any = "auto", work: int = 0) -> contextlib.AbstractContextManager:
    """A context manager that limits the BLAS threads as :func:`resolve` says, then restores them.

    Examples
    --------
    >>> with blas_limit():            # one BLAS thread inside  # doctest: +SKIP
    ...     out, state = lstm(x)
    """
    limit = resolve(blas_threads, work)
    if limit is None:
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=limit, user_api="blas")


def recurrent_work(model: Any, batch: int) -> int:
    """``batch * hidden_size**2`` of the widest recurrent layer of ``model`` (a Sequential): the size of
    the recurrent product that :func:`resolve` weighs (0 without a recurrent layer)."""
    hidden = max((getattr(m, "hidden_size", 0) for m in model.modules.values()), default=0)
    return batch * hidden ** 2
