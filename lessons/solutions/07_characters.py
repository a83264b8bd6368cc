"""Lesson 7's exercises, solved: one function per exercise, each runnable on its own.

    python lessons/solutions/07_characters.py            # every exercise, small sizes (a minute or two)
    python lessons/solutions/07_characters.py --quick    # the sizes of its tests: seconds

Every function returns what its exercise asks for, so tests/exercises/test_solutions_07.py can check it and a reader
can print it. The sizes are arguments: the defaults are small; the lesson's are ``hidden=128, epochs=20``.
"""
from __future__ import annotations

import sys

import numpy as np

import minilstm
from minilstm import data, inspect


def text_sets(seq_len: int = 100):
    """The lesson's data: the built-in corpus in windows of ``seq_len``, split 90/10 with seed 0."""
    text_set = data.make_task("text", seq_len=seq_len)
    train_set, val_set = data.split(text_set, (0.9, 0.1), seed=0)
    return text_set, train_set, val_set


def fit(train_set, val_set, tbptt, hidden=32, epochs=2, seed=0):
    """The lesson's LSTM (embedding 32, ``hidden`` units), trained with truncated BPTT of ``tbptt`` steps."""
    V = train_set.meta["vocab"].size
    model = minilstm.Model(32, hidden, V, cell="lstm", readout="all", vocab_size=V, seed=seed)
    history = minilstm.train(model, train_set, val_data=val_set, lr=5e-3, epochs=epochs, batch_size=16,
                             clip_norm=1.0, seed=seed, progress=False, tbptt=tbptt)
    return model, history


def exercise_1_truncation(ks=(5, 10, 50, None), hidden=32, epochs=2) -> dict:
    """How short can the truncation be? ``{k: (last val loss, best val loss)}`` (``None``: full BPTT).

    The loss should suffer once ``k`` is shorter than the spans that decide the next character (the rest of a
    word, a few characters); where that happens is what the returned losses show, at the lesson's sizes
    (``hidden=128, epochs=20``). For the second question run ``ks=(25, None), epochs=40`` and compare the
    *best* losses.
    """
    _, train_set, val_set = text_sets()
    out = {}
    for k in ks:
        _, h = fit(train_set, val_set, k, hidden, epochs)
        out[k] = (h["val_loss"][-1], min(h["val_loss"]))
    return out


def features(text: str) -> dict:
    """The lesson's features, one number per character, plus exercise 3's three new ones."""
    n = len(text)
    quote = np.cumsum([ch == '"' for ch in text]) % 2
    col, in_word, cap_word = np.zeros(n), np.zeros(n), np.zeros(n)
    c = w = 0
    capital = False
    for t, ch in enumerate(text):
        c = 0 if ch == "\n" else c + 1
        w = w + 1 if ch.isalpha() else 0
        capital = (ch.isupper() if w == 1 else capital) and w > 0
        col[t], in_word[t], cap_word[t] = c, w, capital
    space = np.array([ch == " " for ch in text], float)
    capital_due = np.array([text[max(t - 1, 0):t + 1] == ". " for t in range(n)], float)
    return {"inside quotes": quote.astype(float), "position in the line": col, "position in the word": in_word,
            "the last character was a space": space, "a capital letter is due": capital_due,
            "inside a capitalised word": cap_word}


def correlations(acts: np.ndarray, f: np.ndarray) -> np.ndarray:
    """``(H,)`` Pearson r of every unit's ``(T, H)`` activations with the feature ``f``."""
    a = (acts - acts.mean(0)) / (acts.std(0) + 1e-12)
    return a.T @ ((f - f.mean()) / (f.std() + 1e-12)) / len(f)


def unit_search(model, text: str, state: str = "h") -> dict:
    """``{feature: (unit, r where chosen, r held out)}``: chosen on the first half of ``text``, reported on the
    second. ``state``: "h" (the hidden state), "c" (the cell state) or "tanh c" (as Karpathy drew it)."""
    trace = inspect.record(model, data.make_task("text").meta["vocab"].encode(text)[None, :])
    acts = {"h": trace.h, "c": trace.c, "tanh c": np.tanh(trace.c)}[state][-1, :, 0, :]
    half, best = len(text) // 2, {}
    for name, f in features(text).items():
        r_pick = correlations(acts[:half], f[:half])
        j = int(np.argmax(np.abs(r_pick)))
        best[name] = (j, float(r_pick[j]), float(correlations(acts[half:], f[half:])[j]))
    return best


def exercise_2_cell_state(hidden=32, epochs=2, chars=3000) -> dict:
    """Cell state or hidden state? ``{"h": ..., "c": ..., "tanh c": ...}``, a ``unit_search`` of each.

    A counter such as the position in the line can grow in ``c`` without bound (the forget gate near 1 keeps it,
    the input gate adds to it), while ``h = o * tanh(c)`` squashes it and multiplies it by a gate. So a counter
    correlates better in the raw ``c`` than in ``h``; ``tanh(c)``, which squashes it as ``h`` does, loses much of
    that (at the lesson's sizes, compare the held-out r of "position in the line" in the three).
    """
    text_set, train_set, val_set = text_sets()
    model, _ = fit(train_set, val_set, 25, hidden, epochs)
    stretch = text_set.meta["text"][:chars]
    return {state: unit_search(model, stretch, state) for state in ("h", "c", "tanh c")}


def exercise_3_own_features(hidden=32, epochs=2, chars=3000) -> dict:
    """A feature of your own: the new features' best units (chosen on one half, r on the other).

    "Better than chance" is judged against exercise 4's bar: the same search on untrained networks.
    """
    text_set, train_set, val_set = text_sets()
    model, _ = fit(train_set, val_set, 25, hidden, epochs)
    found = unit_search(model, text_set.meta["text"][:chars])
    new = ("the last character was a space", "a capital letter is due", "inside a capitalised word")
    return {name: found[name] for name in new}


def exercise_4_random_units(hidden=32, chars=3000, seeds=(1, 2, 3, 4)) -> dict:
    """Random units: ``{seed: unit_search}`` of untrained models. How far the held-out |r| moves from seed to seed
    says how high the bar a trained unit must clear really is (section 4 measured seed 0 only)."""
    text_set = data.make_task("text")
    V = text_set.meta["vocab"].size
    return {seed: unit_search(minilstm.Model(32, hidden, V, readout="all", vocab_size=V, seed=seed),
                              text_set.meta["text"][:chars]) for seed in seeds}


def exercise_5_code(rows=64, seq_len=100, hidden=64, chunks=20) -> dict:
    """Your own text: code. A model of the python task (the standard library's source; ``chunks`` chunks of
    stateful truncated BPTT only, so minutes become seconds) and its bits per character on the held-out files.

    For the search itself on a well-trained model use ``benchmarks/python_units.py RUN`` (strings, indentation,
    bracket depth; chosen on training files, reported on held-out ones).
    """
    train_set = data.make_task("python", rows=rows)
    part = data.Dataset(train_set.X[:, :chunks * seq_len], train_set.Y[:, :chunks * seq_len], None,
                        "classify_seq", train_set.meta)
    held = data.python_source(rows=rows, part="held_out")
    held = data.Dataset(held.X[:, :seq_len * 4], held.Y[:, :seq_len * 4], None, "classify_seq", held.meta)
    model = minilstm.Model(32, hidden, 98, readout="all", vocab_size=98, seed=0)
    history = minilstm.train(model, part, val_data=held, lr=3e-3, epochs=1, batch_size=rows, tbptt=seq_len,
                             clip_norm=1.0, seed=0, progress=False,
                             metrics={"bpc": lambda p, ds: data.bits_per_char(p, ds.Y)})
    return {"held-out bits per character": history["val_bpc"][-1],
            "sample": data.sample(model, train_set.meta["vocab"], "def ", 120, temperature=0.5, rng=0)}


QUICK = {  # --quick: each exercise at the sizes of its test, seconds instead of minutes
    exercise_1_truncation: {"ks": (5, None), "hidden": 8, "epochs": 1},
    exercise_2_cell_state: {"hidden": 8, "epochs": 1, "chars": 400},
    exercise_3_own_features: {"hidden": 8, "epochs": 1, "chars": 400},
    exercise_4_random_units: {"hidden": 8, "chars": 400, "seeds": (1, 2)},
    exercise_5_code: {"rows": 8, "seq_len": 50, "hidden": 16, "chunks": 2},
}

if __name__ == "__main__":
    for exercise, small in QUICK.items():
        print(exercise.__name__, exercise(**(small if "--quick" in sys.argv else {})), sep="\n", end="\n\n")
