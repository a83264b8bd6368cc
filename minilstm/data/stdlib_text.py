"""Real text with no download: the running interpreter's own standard-library source.

Task
    Predict the next character of Python source code (``kind = "classify_seq"``),
    the char-rnn experiment of Karpathy, Johnson & Fei-Fei (2015) on code that
    every Python install already holds.
Source
    The top-level ``*.py`` files of the standard library of the interpreter that
    runs minilstm (``sysconfig.get_paths()["stdlib"]``; for CPython 3.11, 168
    files, 4.7 MB), sorted by name; every tenth of them (positions 9, 19, 29,
    ... in that order) is held out whole, so no function is seen in both parts.
    Each part is its files' text joined in order. Characters outside printable
    ASCII (space to ``~``), tab and newline (files are read as text, so a
    ``\r\n`` line end is one newline) become one unknown symbol
    :data:`UNKNOWN`, so the vocabulary is the same 98 characters on every
    machine. The corpus depends on the Python version only: ``meta`` records it
    with the file names.
Success
    Bits per character on the held-out files (the cross-entropy in nats divided by
    ``ln 2``), the state carried through each row: below gzip -9 (1.90 on CPython
    3.11's held-out text), then below bz2 -9 (1.68); see ``benchmarks/text_compression.py``.
"""
from __future__ import annotations

import bz2
import functools
import glob
import gzip
import lzma
import os
import re
import sys
import sysconfig

import numpy as np

from ._checks import positive_int, seed_arg
from .dataset import Dataset
from .text import CharVocab

UNKNOWN = "\ufffd"  # the Unicode replacement character: every character outside printable ASCII, tab, newline
VOCAB = CharVocab("\t\n" + "".join(chr(c) for c in range(0x20, 0x7f)) + UNKNOWN)  # 98 characters, sorted
HOLD_OUT_EVERY = 10  # file i (in name order) is held out when i % 10 == 9
_OUTSIDE = re.compile(r"[^\t\n\x20-\x7e]")


def stdlib_files(root: str | None = None) -> list[str]:
    """The top-level ``*.py`` files of the standard library (or of ``root``), sorted by name."""
    root = sysconfig.get_paths()["stdlib"] if root is None else root
    files = sorted(glob.glob(os.path.join(root, "*.py")), key=os.path.basename)
    if not files:
        raise FileNotFoundError(f"root: no *.py files in {root!r}")
    return files


def clean(text: str) -> str:
    """``text`` with every character outside printable ASCII, tab and newline replaced by :data:`UNKNOWN`."""
    return _OUTSIDE.sub(UNKNOWN, text)


def encode(text: str) -> np.ndarray:
    """Cleaned ``text`` as ``(L,)`` int64 ids of :data:`VOCAB` (fast: a table lookup, not a dict per character)."""
    table = np.full(0x10000, -1, dtype=np.int64)
    table[[ord(c) for c in VOCAB.chars]] = np.arange(VOCAB.size)
    codes = np.frombuffer(text.encode("utf-16-le"), dtype="<u2")  # one unit per character: cleaned text is BMP
    ids = table[codes]
    if ids.size and ids.min() < 0:
        raise ValueError("text holds characters outside the vocabulary; clean() it first")
    return ids


@functools.lru_cache(maxsize=2)
def python_corpus(root: str | None = None) -> dict:
    """The training and held-out text, their files and ids (made once per process and root).

    Returns
    -------
    dict
        ``text``, ``held_out_text`` (str), ``ids``, ``held_out_ids`` (``(L,)`` int64),
        ``files``, ``held_out_files`` (lists of file names), ``root``, ``python`` (the version).
    """
    files = stdlib_files(root)
    parts: dict[bool, list[tuple[str, str]]] = {False: [], True: []}
    for i, path in enumerate(files):
        with open(path, encoding="utf-8", errors="replace") as f:
            parts[i % HOLD_OUT_EVERY == HOLD_OUT_EVERY - 1].append((os.path.basename(path), clean(f.read())))
    text, held_out = ("".join(t for _, t in parts[h]) for h in (False, True))
    return dict(text=text, held_out_text=held_out, ids=encode(text), held_out_ids=encode(held_out),
                files=[n for n, _ in parts[False]], held_out_files=[n for n, _ in parts[True]],
                root=os.path.dirname(files[0]), python=sys.version.split()[0])


def stream_rows(ids: np.ndarray, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """The stream cut into ``rows`` contiguous rows: ``(x, y)``, each ``(rows, L)``, ``y`` one id ahead.

    ``L = (len(ids) - 1) // rows``; row ``r`` is the text from ``r * L`` on, so a model
    read along a row, chunk after chunk with its state carried, reads running text.
    """
    rows = positive_int("rows", rows)
    L = (len(ids) - 1) // rows
    if L < 1:
        raise ValueError(f"rows={rows} needs at least {rows + 1} characters, got {len(ids)}")
    return ids[:rows * L].reshape(rows, L), ids[1:rows * L + 1].reshape(rows, L)


def python_source(rows: int = 64, part: str = "train", seed: int | None = None,
                  root: str | None = None) -> Dataset:
    """The standard library's source as ``rows`` contiguous rows of one stream, for stateful truncated BPTT.

    Parameters
    ----------
    rows : int
        Rows ``B`` of the layout: the stream cut into ``B`` contiguous pieces, one
        sequence each; train with ``batch_size=rows`` and ``tbptt=seq_len`` so each
        batch is the whole stream and the state runs along each row.
    part : {"train", "held_out"}
        The training files or the held-out ones (every tenth file).
    seed : int or None
        Accepted for a uniform :func:`~minilstm.data.make_task`; the text has no randomness.
    root : str or None
        A folder of ``*.py`` files to use instead of the standard library.

    Returns
    -------
    Dataset
        ``X``, ``Y`` ``(rows, L)`` int64 ids, ``Y`` one character ahead; ``meta``:
        ``vocab`` (:data:`VOCAB`), ``n_classes``, ``n_symbols``, ``unknown``, and every
        key of :func:`python_corpus` (``text``, ``held_out_text``, ``files``, ...).
    """
    seed_arg(seed)
    if part not in ("train", "held_out"):
        raise ValueError(f"part must be 'train' or 'held_out', got {part!r}")
    corpus = python_corpus(root)
    x, y = stream_rows(corpus["ids" if part == "train" else "held_out_ids"], rows)
    meta = dict(vocab=VOCAB, n_classes=VOCAB.size, n_symbols=VOCAB.size, unknown=UNKNOWN, **corpus)
    return Dataset(x, y, None, "classify_seq", meta)


def bits_per_char(logits: np.ndarray, targets: np.ndarray) -> float:
    """Mean ``-log2 p(target)`` of ``(..., V)`` next-character ``logits`` over ``(...)`` int ``targets``.

    The cross-entropy in bits: what an arithmetic coder driven by the model would
    spend per character, comparable with a compressor's ``8 * bytes / characters``.
    """
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))  # stable log-softmax
    picked = np.take_along_axis(log_p, np.asarray(targets)[..., None], axis=-1)
    return float(-picked.mean() / np.log(2.0))


COMPRESSORS = {"gzip": lambda b: gzip.compress(b, 9), "bz2": lambda b: bz2.compress(b, 9),
               "xz": lambda b: lzma.compress(b, preset=9 | lzma.PRESET_EXTREME)}  # gzip -9, bz2 -9, xz -9e


def compressed_bits_per_char(text: str, method: str, context: str = "") -> float:
    """Bits per character of ``text`` as ``method`` ("gzip", "bz2" or "xz", at their strongest) codes it.

    With ``context``, the cost of ``text`` after ``context``: ``bytes(context + text) - bytes(context)``,
    what the compressor spends on ``text`` once it has seen ``context`` (as a model trained on it has).
    """
    if method not in COMPRESSORS:
        raise ValueError(f"method must be one of {tuple(COMPRESSORS)}, got {method!r}")
    if not isinstance(text, str) or not text:
        raise ValueError(f"text must be a non-empty str, got {text!r:.40}")
    pack = COMPRESSORS[method]
    spent = len(pack((context + text).encode("utf-8")))
    if context:
        spent -= len(pack(context.encode("utf-8")))
    return 8.0 * spent / len(text)
