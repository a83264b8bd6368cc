"""Worked solutions of lesson 9's exercises 1 to 6 (Depth, direction, and sequences from sequences).

Run from the repository root::

    python lessons/solutions/09_depth_direction_seq2seq.py            # the lesson's sizes (exercise 6's 30 epochs
                                                                      # of 128 units take the longest: many minutes)
    python lessons/solutions/09_depth_direction_seq2seq.py --quick    # small sizes: a smoke test of seconds

Exercise 1's checker is ``minilstm.exercises.check_attention(forward, backward)``: it compares a
learner's forward and backward with ``minilstm.nn.Attention`` and names what is wrong and where.
``tests/exercises/test_solutions_06_09.py`` runs it on these solutions and on planted bugs.
"""
from __future__ import annotations

import argparse
import math
from typing import NamedTuple

import numpy as np

import minilstm
from minilstm import data, exercises
from minilstm.optim import clip_grad_norm


# ------------------------------------------------------------------ exercise 1: attention by hand
class AttentionCache(NamedTuple):
    q: np.ndarray   # (B, Tq, H)
    k: np.ndarray   # (B, Tk, H), the keys and the values
    a: np.ndarray   # (B, Tq, Tk), the weights


def attention_forward(q, k):
    """e = q k^T / sqrt(H); a = softmax over the key steps; y = a k. Returns (y (B, Tq, H), cache)."""
    H = q.shape[-1]
    e = q @ k.transpose(0, 2, 1) / math.sqrt(H)
    z = np.exp(e - e.max(axis=2, keepdims=True))          # stable softmax
    a = z / z.sum(axis=2, keepdims=True)
    return a @ k, AttentionCache(q, k, a)


def attention_backward(dy, cache):
    """Returns (dq, dk); k is both key and value, so dk has a term from each."""
    q, k, a = cache
    H = q.shape[-1]
    da = dy @ k.transpose(0, 2, 1)                          # dL/da_ts = dy_t . k_s
    de = a * (da - (a * da).sum(axis=2, keepdims=True))     # the softmax's Jacobian
    dq = de @ k / math.sqrt(H)
    dk = a.transpose(0, 2, 1) @ dy + de.transpose(0, 2, 1) @ q / math.sqrt(H)   # as value, then as key
    return dq, dk


def check_attention(forward=attention_forward, backward=attention_backward, seed=0, rtol=1e-6):
    """Exercise 1's checker, ``minilstm.exercises.check_attention``, on these solutions by default."""
    return exercises.check_attention(forward, backward, seed=seed, rtol=rtol)


# ------------------------------------------------------------------ exercise 2: sorting with attention
class Seq2Seq:
    """Lesson 9's encoder-decoder: a bidirectional LSTM encoder, an LSTM decoder, optional attention with W_a,
    a head."""

    def __init__(self, V, H, attention, seed=0, bridge=True):
        self.V, self.H, self.bridge = V, H, bridge     # bridge=False: the decoder starts from zeros (exercise 5)
        self.enc = minilstm.LSTM(V, H // 2, batch_first=True, bidirectional=True, seed=seed)
        self.dec = minilstm.LSTM(V + 1, H, batch_first=True, seed=seed + 1)
        self.att = minilstm.nn.Attention(H) if attention else None
        self.head = minilstm.Linear(2 * H if attention else H, V, seed=seed + 2)
        self.parts = {"enc": self.enc, "dec": self.dec, "head": self.head}
        if attention:                                                   # W_a: Luong's "general" score
            self.parts["w_a"] = self.w_a = minilstm.Linear(H, H, bias=False, seed=seed + 3)
        self.params = {f"{n}.{k}": p for n, m in self.parts.items() for k, p in m.params.items()}

    @property
    def grads(self):
        return {f"{n}.{k}": g for n, m in self.parts.items() for k, g in m.grads.items()}

    def forward(self, src, dec_in):
        keys, (h, c) = self.enc(src)
        start = tuple(np.concatenate([s[0], s[1]], axis=-1)[None] for s in (h, c))
        q, _ = self.dec(dec_in, start if self.bridge else None)
        self._keys_shape = keys.shape
        z = q if self.att is None else np.concatenate([q, self.att(self.w_a(q), keys)], axis=-1)
        return self.head(z)

    def backward(self, dlogits):
        dz = self.head.backward(dlogits)
        if self.att is None:
            dq, dkeys = dz, np.zeros(self._keys_shape, dz.dtype)
        else:
            dq, (dq_att, dkeys) = dz[..., :self.H], self.att.backward(dz[..., self.H:])
            dq = dq + self.w_a.backward(dq_att)
        _, (dh0, dc0) = self.dec.backward(dq)
        if not self.bridge:                                             # no path from the decoder's start back
            self.enc.backward(dkeys)
            return
        half = self.H // 2
        self.enc.backward(dkeys, tuple(np.stack([d[0, :, :half], d[0, :, half:]]) for d in (dh0, dc0)))


def fit_seq2seq(model, ds, epochs, lr=1e-2, batch=64, seed=0):
    opt = minilstm.Adam(model.params, lr=lr)
    dec_in = data.one_hot(data.shift_right(ds.Y, ds.meta["start"]), model.V + 1)
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(len(ds))
        for s in range(0, len(ds), batch):
            b = order[s:s + batch]
            _, dlogits = minilstm.cross_entropy(model.forward(ds.X[b], dec_in[b]), ds.Y[b])
            model.backward(dlogits)
            grads = model.grads
            clip_grad_norm(grads, 1.0)
            opt.step(grads)


def greedy(model, src, start):
    written = np.full((src.shape[0], 1), start)
    for _ in range(src.shape[1]):
        logits = model.forward(src, data.one_hot(written, model.V + 1))
        written = np.concatenate([written, logits[:, -1].argmax(-1)[:, None]], axis=1)
    return written[:, 1:]


def sorting(quick=False, plot=False):
    """Exercise 2: the attention model on mode="sort"; per-step test accuracy and one sequence's weights."""
    T = 6 if quick else 10
    train = data.reverse_task(n=300 if quick else 2000, T=T, alphabet=8, mode="sort", seed=1)
    test = data.reverse_task(n=200 if quick else 500, T=T, alphabet=8, mode="sort", seed=2)
    model = Seq2Seq(8, 32, attention=True)
    fit_seq2seq(model, train, epochs=2 if quick else 10)
    written = greedy(model, test.X, test.meta["start"])
    per_step = (written == test.Y).mean(axis=0)
    weights = np.array(minilstm.to_numpy(model.att.last_attention)[0])   # the last greedy step's full pass
    print(f"2. sorting {T} symbols: per output step " + ", ".join(f"{p:.0%}" for p in per_step)
          + f"; hardest step {int(per_step.argmin())}; whole sequences {(written == test.Y).all(axis=1).mean():.1%}")
    print("   input ", test.meta["source"][0], "\n   sorted", test.Y[0], "\n   written", written[0])
    if plot:
        import matplotlib.pyplot as plt
        plt.imshow(weights, cmap="Blues", vmin=0, vmax=1)
        plt.xlabel("input step s")
        plt.ylabel("output step t")
        plt.title("sorting: attention weights (each row looks at inputs holding its symbol)")
        plt.show()
    return {"per_step": per_step, "weights": weights, "written": written}


# ------------------------------------------------------------------ exercise 3: bits per character
def bits_per_character(history):
    """Validation loss (nats per character) of each epoch, in bits per character."""
    return np.asarray(history["val_loss"]) / np.log(2)


def check_bits_per_character(V=51):
    """A uniform model's loss is ln V nats, so its bits per character must be log2 V."""
    got = bits_per_character({"val_loss": [np.log(V)]})[0]
    print(f"3. a uniform model over {V} characters: {got:.4f} bits per character, log2 V = {np.log2(V):.4f}")
    return bool(np.isclose(got, np.log2(V)))


# ------------------------------------------------------------------ exercises 4 to 6
def char_sets(seq_len=50):
    text = data.make_task("text", seq_len=seq_len)
    return text.meta["n_classes"], *data.split(text, (0.9, 0.1), seed=0)


def bidirectional_trap(quick=False):
    """Exercise 4: a bidirectional character model "predicts" x_(t+1) from a y_t that has read it."""
    V, train, val = char_sets()
    bits = {}
    for bi in (False, True):
        m = minilstm.Model(16, 32, V, cell="lstm", readout="all", vocab_size=V, bidirectional=bi, seed=0)
        h = minilstm.train(m, train, val_data=val, lr=5e-3, epochs=1 if quick else 5, batch_size=16, clip_norm=1.0,
                           seed=0, progress=False)
        bits[bi] = float(bits_per_character(h).min())
    print(f"4. best validation bits per character: left to right {bits[False]:.3f}, bidirectional {bits[True]:.3f}. "
          "The bidirectional number is meaningless: its right-to-left half has read x_(t+1), the answer, before "
          "step t; it measures copying, and such a model cannot generate text (the future it needs is not written "
          "yet).")
    return bits


def without_the_bridge(quick=False):
    """Exercise 5: the decoder starts from zeros; only attention can carry the input to it."""
    T = 6 if quick else 10
    train = data.reverse_task(n=300 if quick else 2000, T=T, alphabet=8, seed=1)
    test = data.reverse_task(n=200 if quick else 500, T=T, alphabet=8, seed=2)
    exact = {}
    for att in (False, True):
        model = Seq2Seq(8, 32, attention=att, bridge=False)
        fit_seq2seq(model, train, epochs=2 if quick else 10)
        exact[att] = float((greedy(model, test.X, test.meta["start"]) == test.Y).all(axis=1).mean())
    print(f"5. without the bridge, whole sequences reversed exactly: no attention {exact[False]:.1%} (the decoder "
          f"never sees the input: it can only learn the symbols' frequencies), attention {exact[True]:.1%} (all "
          "it knows of the input comes through the weights, so they must find the anti-diagonal)")
    return exact


def deeper_on_more_text(quick=False):
    """Exercise 6: one layer against two, with longer sequences, more epochs and 128 units."""
    V, train, val = char_sets(seq_len=30 if quick else 100)
    hidden, epochs = (16, 1) if quick else (128, 30)
    best = {}
    for layers in (1, 2):
        m = minilstm.Model(16, hidden, V, cell="lstm", readout="all", vocab_size=V, num_layers=layers, seed=0)
        h = minilstm.train(m, train, val_data=val, lr=5e-3, epochs=epochs, batch_size=16, clip_norm=1.0, seed=0,
                           progress=False)
        best[layers] = float(bits_per_character(h).min())
    print(f"6. best validation bits per character: one layer {best[1]:.3f}, two {best[2]:.3f} "
          f"({'the second layer helped' if best[2] < best[1] else 'the second layer did not help'}; one seed: "
          "rerun with others before you conclude)")
    return best


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="small sizes: a smoke test")
    args = p.parse_args(argv)
    result = check_attention()
    print(f"1. {result.message}")
    return {"attention": result, "sorting": sorting(args.quick), "bits": check_bits_per_character(),
            "bidirectional": bidirectional_trap(args.quick), "bridge": without_the_bridge(args.quick),
            "deeper": deeper_on_more_text(args.quick)}


if __name__ == "__main__":
    main()
