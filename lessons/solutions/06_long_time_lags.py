"""Worked solutions of lesson 6's exercises (Long time lags). Try them first.

Run from the repository root::

    python lessons/solutions/06_long_time_lags.py            # the lesson's sizes (a few minutes on 2 cores)
    python lessons/solutions/06_long_time_lags.py --quick    # small sizes: a smoke test of seconds

Each ``exercise_N(quick)`` returns what it measured and prints the answer it supports; the
answers are computed from the run (one seed), never typed. ``tests/exercises/test_solutions_06_09.py``
runs every one of them in quick mode.
"""
from __future__ import annotations

import argparse

import numpy as np

import minilstm
from minilstm import data, inspect

CELLS = ("rnn", "lstm", "gru")


def fit(model, train, val, metric, epochs, schedule="cosine", callbacks=()):
    """Lesson 6's training: Adam at 0.01, clipping at 1, batches of 64, seed 0."""
    return minilstm.train(model, train, val_data=val, metrics={"accuracy": metric}, lr=1e-2, epochs=epochs,
                          batch_size=64, clip_norm=1.0, seed=0, progress=False, schedule=schedule,
                          callbacks=callbacks)


def adding_sets(quick, seed=0):
    """Section 2's adding problem: T = 40 (20 quick), split 80/20."""
    T = 20 if quick else 40
    adding = data.make_task("adding", seed=seed, n=300 if quick else 2000, T=T, variable=False)
    return (*data.split(adding, (0.8, 0.2), seed=seed), T)


def adding_acc(pred, ds):
    return data.adding_accuracy(pred, ds.Y)


def left_plateau(h, level, margin=0.1):
    """The first epoch more than ``margin`` above ``level``, or None."""
    above = np.flatnonzero(np.asarray(h["val_accuracy"]) > level + margin)
    return int(h["epoch"][above[0]]) if above.size else None


def when(epoch, epochs):
    """'at epoch 7', or 'not within 12 epochs'."""
    return f"at epoch {epoch}" if epoch is not None else f"not within {epochs} epochs"


def exercise_1(quick=False):
    """A longer budget: section 2's LSTM (forget bias 5) and RNN for 30 epochs."""
    train, val, _ = adding_sets(quick)
    epochs = 2 if quick else 30
    hist = {c: fit(minilstm.Model(2, 32, 1, cell=c, seed=0, **({"forget_bias": 5.0} if c == "lstm" else {})),
                   train, val, adding_acc, epochs) for c in ("rnn", "lstm")}
    final = {c: h["val_accuracy"][-1] for c, h in hist.items()}
    print(f"1. after {epochs} epochs: LSTM {final['lstm']:.0%} of the validation sequences within 0.04 "
          f"({'most' if final['lstm'] > 0.5 else 'not most'} of them), RNN {final['rnn']:.0%} "
          f"(more than 10 points above the 15 % plateau {when(left_plateau(hist['rnn'], 0.15), epochs)})")
    return {"histories": hist, "final": final}


def exercise_2(quick=False):
    """Forget bias 1 against 5: when each LSTM leaves the plateau, and their gradient flows."""
    train, val, _ = adding_sets(quick)
    epochs = 2 if quick else 12
    models = {b: minilstm.Model(2, 32, 1, cell="lstm", forget_bias=b, seed=0) for b in (1.0, 5.0)}
    hist = {b: fit(m, train, val, adding_acc, epochs) for b, m in models.items()}
    left = {b: left_plateau(h, 0.15) for b, h in hist.items()}
    flows = {f"forget bias {b:g}": inspect.gradient_flow(m.eval(), val.X[:32]) for b, m in models.items()}
    print(f"2. the LSTM leaves the plateau with forget bias 1 {when(left[1.0], epochs)}, with forget bias 5 "
          f"{when(left[5.0], epochs)}; draw the flows with minilstm.plot.gradient_flow(flows)")
    return {"histories": hist, "left": left, "flows": flows}


def exercise_3(quick=False):
    """The gradient flow during training: first-mark steps over the last step, after every epoch."""
    train, val, _ = adding_sets(quick)
    Xa, epochs = val.X[:32], 2 if quick else 12
    ratios, accuracy = {}, {}
    for c in ("rnn", "lstm"):
        model = minilstm.Model(2, 32, 1, cell=c, seed=0, **({"forget_bias": 5.0} if c == "lstm" else {}))
        seen = []

        def record(epoch, logs, m, seen=seen):
            dh = inspect.gradient_flow(m.eval(), Xa).dh  # eval: no dropout; train() sets it back next epoch
            m.train()
            seen.append(float(dh[:10].mean() / dh[-1]))

        h = fit(model, train, val, adding_acc, epochs, callbacks=[record])
        ratios[c], accuracy[c] = seen, list(h["val_accuracy"])
    for c in ratios:
        print(f"3. {c.upper()}: ratio first marks / last step per epoch "
              + ", ".join(f"{r:.1e}" for r in ratios[c]) + "; accuracy " + ", ".join(f"{a:.0%}" for a in accuracy[c]))
    return {"ratios": ratios, "accuracy": accuracy}


def exercise_4(quick=False):
    """A GRU with a memory: the update gate's bias set so that z = 0.99 at the start."""
    train, val, _ = adding_sets(quick)
    epochs = 2 if quick else 12
    bias = float(np.log(0.99 / 0.01))  # sigmoid(bias) = 0.99: h_t = z h_(t-1) + (1 - z) n keeps 99 % per step
    hist = {b: fit(minilstm.Model(2, 32, 1, cell="gru", seed=0, update_bias=b), train, val, adding_acc, epochs)
            for b in (0.0, bias)}
    left = {b: left_plateau(h, 0.15) for b, h in hist.items()}
    print(f"4. the GRU leaves the plateau with update bias 0 {when(left[0.0], epochs)}; with update bias {bias:.2f} "
          f"(z = 0.99) {when(left[bias], epochs)}")
    return {"bias": bias, "histories": hist, "left": left}


def exercise_5(quick=False):
    """Longer lags: temporal order at T = 60 (30 quick), RNN against LSTM with forget bias 5, 12 epochs."""
    T = 30 if quick else 60
    order = data.make_task("order", seed=0, n=300 if quick else 2000, T=T)
    train, val = data.split(order, (0.8, 0.2), seed=0)
    epochs = 2 if quick else 12
    hist = {c: fit(minilstm.Model(8, 32, 4, cell=c, seed=0, **({"forget_bias": 5.0} if c == "lstm" else {})),
                   train, val, lambda p, ds: data.class_accuracy(p, ds.Y), epochs) for c in ("rnn", "lstm")}
    final = {c: h["val_accuracy"][-1] for c, h in hist.items()}
    print(f"5. temporal order, T = {T}, after {epochs} epochs: RNN {final['rnn']:.0%}, LSTM {final['lstm']:.0%} "
          "(chance 25 %)")
    return {"T": T, "final": final}


def exercise_6(quick=False):
    """One seed is an anecdote: section 1 (embedded Reber) again with seed 1 for the data split and the models."""
    reber = data.make_task("reber", seed=1, n=300 if quick else 1000)
    train, val = data.split(reber, (0.8, 0.2), seed=1)
    epochs = 2 if quick else 40
    hist = {c: fit(minilstm.Model(7, 16, 7, cell=c, readout="all", seed=1), train, val,
                   lambda p, ds: data.reber_accuracy(p, ds.Y, ds.lengths), epochs, schedule=None) for c in CELLS}
    left = {c: left_plateau(h, 0.5) for c, h in hist.items()}
    print("6. embedded Reber with seed 1: " + "; ".join(
        f"{c.upper()} left the 50 % plateau {when(e, epochs)}, ended at {hist[c]['val_accuracy'][-1]:.0%}"
        for c, e in left.items())
        + ". Compare with the lesson's seed-0 run: the statements that name an epoch rarely survive; "
        "'the LSTM family can learn it' usually does.")
    return {"histories": hist, "left": left}


EXERCISES = (exercise_1, exercise_2, exercise_3, exercise_4, exercise_5, exercise_6)


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="small sizes: a smoke test")
    args = p.parse_args(argv)
    return {f.__name__: f(args.quick) for f in EXERCISES}


if __name__ == "__main__":
    main()
