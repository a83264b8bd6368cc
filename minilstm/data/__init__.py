"""Built-in sequence tasks, generated locally from a seed (nothing is downloaded).

Every generator returns a :class:`Dataset` of host NumPy arrays, batch-first
(``X`` ``(N, T, F)`` float32 or ``(N, T)`` int64 token ids), whose ``kind``
names the head and the loss; :func:`split` and :func:`batches` cut it up.
The same ``seed`` always gives the same arrays.

==========  =========================  ===================  ==========================
name        generator                  kind                 success criterion
==========  =========================  ===================  ==========================
``sine``    :func:`sine_wave`          regression_last      test RMSE near the noise
``sines``   :func:`sine_waves`         regression_last      test RMSE near the noise
``adding``  :func:`adding_problem`     regression_last      :func:`adding_accuracy`
``reber``   :func:`reber_grammar`      regression_seq       :func:`reber_accuracy`
``order``   :func:`temporal_order`     classify_last        :func:`class_accuracy`
``copy``    :func:`copy_task`          classify_seq         :func:`copy_accuracy`
``text``    :func:`char_text`          classify_seq         cross-entropy, samples
``python``  :func:`python_source`      classify_seq         held-out bits per character
``lengths`` :func:`sum_sign`           classify_last        :func:`class_accuracy`
``reverse`` :func:`reverse_task`       classify_seq         :func:`sequence_accuracy`
==========  =========================  ===================  ==========================
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .adding import adding_accuracy, adding_problem
from .copy import copy_accuracy, copy_task
from .dataset import (
    IGNORE,
    KINDS,
    Dataset,
    batches,
    chronological_split,
    class_accuracy,
    mask,
    one_hot,
    sequence_accuracy,
    split,
)
from .lengths import sum_sign
from .order import temporal_order
from .reber import reber_accuracy, reber_grammar, reber_strings
from .reverse import reverse_task, shift_right
from .sine import MinMaxScaler, rmse, sine_wave, sine_waves
from .stdlib_text import (
    UNKNOWN,
    bits_per_char,
    compressed_bits_per_char,
    python_corpus,
    python_source,
    stream_rows,
)
from .text import CharVocab, char_text, load_text, sample, text_batches_tbptt

TASKS: dict[str, Callable[..., Dataset]] = {
    "sine": sine_wave,
    "sines": sine_waves,
    "adding": adding_problem,
    "reber": reber_grammar,
    "order": temporal_order,
    "copy": copy_task,
    "text": char_text,
    "python": python_source,
    "lengths": sum_sign,
    "reverse": reverse_task,
}


def make_task(name: str, seed: int | None = None, **kw: Any) -> Dataset:
    """The dataset of the task ``name``, made by its generator with ``seed`` and ``kw``.

    Parameters
    ----------
    name : str
        One of ``TASKS``: "sine", "sines", "adding", "reber", "order", "copy",
        "text", "python", "lengths", "reverse".
    seed : int or None
    **kw
        Passed to the generator (see its docstring), e.g. ``T=200`` for "adding".
    """
    if not isinstance(name, str) or name not in TASKS:
        raise ValueError(f"name must be one of {tuple(TASKS)}, got {name!r}")
    return TASKS[name](seed=seed, **kw)


__all__ = [
    "Dataset", "KINDS", "IGNORE", "TASKS", "make_task", "split", "chronological_split",
    "batches", "one_hot", "mask", "class_accuracy", "sequence_accuracy",
    "sine_wave", "sine_waves", "MinMaxScaler", "rmse",
    "adding_problem", "adding_accuracy",
    "reber_grammar", "reber_strings", "reber_accuracy",
    "temporal_order",
    "copy_task", "copy_accuracy",
    "CharVocab", "load_text", "char_text", "text_batches_tbptt", "sample",
    "python_source", "python_corpus", "stream_rows", "bits_per_char",
    "compressed_bits_per_char", "UNKNOWN",
    "sum_sign",
    "reverse_task", "shift_right",
]
