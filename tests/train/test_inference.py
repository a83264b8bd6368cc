"""``predict`` and ``evaluate``: the forms of data they take (an array, tuples, ``lengths=``, a Dataset) and
refuse; in chunks of time steps, the same outputs as one whole run, memory bounded by the chunk, training's
validation chunked like its truncated BPTT, and the models that cannot be chunked."""
import tracemalloc

import numpy as np
import pytest
from conftest import close

import minilstm
from minilstm import data


def _per_step(cell="lstm", dtype="float64", **kw):
    return minilstm.Model(3, 5, 2, cell=cell, readout="all", num_layers=2, seed=0, dtype=dtype, **kw)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru", "peephole"])
def test_chunked_predict_equals_the_whole_run(cell, backend, dtype, rng):
    """Chunks of steps, the state carried, give the outputs of one run."""
    X = rng.standard_normal((6, 13, 3))
    model = _per_step(cell, dtype)
    whole = minilstm.predict(model, (X, X[..., :2]), batch_size=4)
    for chunk in (4, 50):  # 13 = 4 + 4 + 4 + 1; 50 > T is one run
        assert close(minilstm.predict(model, (X, X[..., :2]), batch_size=4, chunk=chunk), whole, dtype), chunk


def test_chunked_predict_of_tokens_and_of_a_gaussian_head(backend, rng):
    ids = rng.integers(0, 7, (3, 10))
    tokens = minilstm.Model(4, 6, 7, readout="all", vocab_size=7, seed=0, dtype="float64")
    assert close(minilstm.predict(tokens, (ids, ids), chunk=3, proba=True),
                 minilstm.predict(tokens, (ids, ids), proba=True), "float64")
    X = rng.standard_normal((3, 10, 2))
    gaussian = minilstm.Sequential(minilstm.GRU(2, 5, batch_first=True, seed=0, dtype="float64"),
                                   minilstm.GaussianHead(5, 2, seed=1, dtype="float64"))
    chunked, whole = minilstm.predict(gaussian, (X, X), chunk=4), minilstm.predict(gaussian, (X, X))
    for a, b in zip(chunked, whole):
        assert a.shape == (3, 10, 2) and close(a, b, "float64")


def test_chunked_evaluate_equals_the_whole_run(backend, rng):
    X, Y = rng.standard_normal((5, 17, 3)), rng.standard_normal((5, 17, 2))
    model = _per_step()
    rmse = {"rmse": lambda pred, ds: float(np.sqrt(np.mean((pred - ds.Y) ** 2)))}
    whole = minilstm.evaluate(model, (X, Y), metrics=rmse)
    chunked = minilstm.evaluate(model, (X, Y), metrics=rmse, chunk=5)
    assert chunked.keys() == whole.keys()
    for k in whole:
        assert abs(chunked[k] - whole[k]) <= 1e-12 * abs(whole[k]), k


def _peak_mb(fn):
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def test_chunked_predict_memory_is_bounded_by_the_chunk(rng):
    """T = 2,000, N = 8, H = 32: a whole run keeps every step (27 MB traced, with its backward cache);
    in chunks of 50 only one chunk's worth is alive (about 1 MB) besides the (N, T, 1) outputs."""
    X = rng.standard_normal((8, 2000, 1)).astype(np.float32)
    model = minilstm.Model(1, 32, 1, readout="all", seed=0)
    out = {}
    peak = _peak_mb(lambda: out.setdefault("pred", minilstm.predict(model, (X, X), chunk=50)))
    assert out["pred"].shape == (8, 2000, 1)
    assert peak < 3.0, f"{peak:.1f} MB"


def test_training_evaluates_in_chunks_of_tbptt(monkeypatch):
    """With tbptt, validation runs in chunks of tbptt steps too (so its memory is training's), and its
    scores are those of the whole run; padded val_data, which cannot be chunked, is evaluated whole."""
    text = data.make_task("text", seed=0, seq_len=24).subset(slice(0, 12))
    model = minilstm.Model(4, 8, text.meta["n_classes"], readout="all", vocab_size=text.meta["n_symbols"], seed=0)
    chunks = []
    real = minilstm.predict

    def spy(*args, **kwargs):
        chunks.append(kwargs.get("chunk"))
        return real(*args, **kwargs)

    monkeypatch.setattr(minilstm.inference, "predict", spy)
    history = minilstm.train(model, text, val_data=text, tbptt=6, epochs=2, batch_size=4, progress=False, seed=0)
    assert chunks == [6, 6]
    assert abs(history["val_loss"][-1] - minilstm.evaluate(model, text)["loss"]) <= 1e-5 * history["val_loss"][-1]
    padded = data.Dataset(text.X, text.Y, np.full(len(text), 24), kind=text.kind)
    minilstm.train(model, text, val_data=padded, tbptt=6, epochs=1, batch_size=4, progress=False, seed=0)
    assert chunks[-1] is None


# ---------------------------------------------------------------- what cannot be chunked
@pytest.mark.parametrize("model, data_kw, match", [
    (lambda: minilstm.Model(3, 4, 2, seed=0), {},
     r"^chunk=4 runs a per-step model over unpadded data, but last \(LastStep\) mixes time steps$"),
    (lambda: minilstm.Model(3, 4, 2, readout="all", bidirectional=True, seed=0), {},
     r"but the recurrent layer is bidirectional \(its reverse direction reads the whole sequence\)$"),
    (lambda: minilstm.Sequential(minilstm.LSTM(3, 4, batch_first=True), minilstm.GRU(4, 2, batch_first=True)), {},
     r"but the model has 2 recurrent modules, and only the first one's state is carried$"),
    (lambda: minilstm.Sequential(minilstm.Conv1d(3, 4, 3, padding=1), minilstm.LSTM(4, 2, batch_first=True)), {},
     r"but 0 \(Conv1d\) mixes time steps$"),
    (lambda: minilstm.Model(3, 4, 2, readout="all", seed=0), {"lengths": True},
     r"but the data is padded \(it has lengths\)$"),
])
def test_what_cannot_run_in_chunks_is_refused(model, data_kw, match, rng):
    X = rng.standard_normal((2, 8, 3)).astype(np.float32)
    ds = (X, X[..., :2], np.array([8, 5])) if data_kw else (X, X[..., :2])
    with pytest.raises(ValueError, match=match):
        minilstm.predict(model(), ds, chunk=4)


@pytest.mark.parametrize("chunk, error, match", [
    (0, ValueError, "chunk must be a positive int, got 0"),
    (2.5, TypeError, "chunk must be a positive int, got float 2.5"),
    (True, TypeError, "chunk must be a positive int, got bool True"),
])
def test_bad_chunks(chunk, error, match, rng):
    X = rng.standard_normal((2, 8, 3))
    with pytest.raises(error, match=match):
        minilstm.predict(_per_step(), (X, X[..., :2]), chunk=chunk)
    with pytest.raises(error, match=match):
        minilstm.evaluate(_per_step(), (X, X[..., :2]), chunk=chunk)


def test_a_module_that_drops_the_time_axis_is_caught(rng):
    """A learner's own module that keeps only the last step: chunk cannot know it mixes time steps,
    but its output has lost the time axis."""
    class LastOnly(minilstm.nn.Module):
        def __init__(self):
            self.params, self.grads, self.dtype = {}, {}, None

        def forward(self, x):
            return x[:, -1]

        def backward(self, dy):
            raise NotImplementedError

    model = minilstm.Sequential(minilstm.LSTM(3, 5, batch_first=True, seed=0), LastOnly())
    X = rng.standard_normal((2, 8, 3)).astype(np.float32)
    with pytest.raises(ValueError, match=r"^chunk=4 needs a per-step model, whose outputs keep the \(batch, time\) "
                                         r"axes; a chunk of shape \(2, 4, 3\) gave shape \(2, 5\)$"):
        minilstm.predict(model, (X, X), chunk=4)


# ---------------------------------------------------------------- the forms of data predict and evaluate take
@pytest.fixture
def padded(rng):
    """Padded sequences of 3 features, their lengths and a target per sequence, with a model for them."""
    X = rng.standard_normal((5, 7, 3)).astype(np.float32)
    lengths = np.array([7, 3, 5, 1, 6])
    Y = rng.standard_normal((5, 2)).astype(np.float32)
    return X, Y, lengths, minilstm.Model(3, 4, 2, seed=0)


def test_predict_takes_an_array_a_tuple_or_a_dataset(padded):
    """X alone, (X,), (X, Y) and (X, Y, lengths), with lengths= where the tuple has no third item: the
    outputs of the Dataset."""
    X, Y, lengths, model = padded
    expected = minilstm.predict(model, data.Dataset(X, Y, lengths))
    forms = [(X, {"lengths": lengths}), ((X,), {"lengths": lengths}), ((X, Y), {"lengths": lengths}),
             ((X, Y, lengths), {}), ([X, Y, lengths], {}), ((X, Y, None), {"lengths": lengths})]
    for form, kw in forms:
        assert np.array_equal(minilstm.predict(model, form, **kw), expected)
    unpadded = minilstm.predict(model, data.Dataset(X, Y))
    for form in (X, (X,), (X, Y)):
        assert np.array_equal(minilstm.predict(model, form), unpadded)
    assert not np.array_equal(unpadded, expected)  # lengths were used


def test_predict_takes_token_ids_alone(rng):
    ids = rng.integers(0, 7, (4, 6))
    model = minilstm.Model(4, 5, 7, readout="all", vocab_size=7, seed=0)
    expected = minilstm.predict(model, data.Dataset(ids, ids, kind="classify_seq"), proba=True)
    assert np.array_equal(minilstm.predict(model, ids, proba=True), expected)
    assert np.array_equal(minilstm.predict(model, (ids,), proba=True), expected)


def test_evaluate_takes_lengths_as_a_keyword(padded):
    X, Y, lengths, model = padded
    expected = minilstm.evaluate(model, data.Dataset(X, Y, lengths, kind="regression_last"))
    assert minilstm.evaluate(model, (X, Y), lengths=lengths) == expected
    assert minilstm.evaluate(model, (X, Y, lengths)) == expected
    assert minilstm.evaluate(model, (X, Y)) != expected


@pytest.mark.parametrize("call, form, error, match", [
    ("predict", "X, None", ValueError, r"^data=\(X, None\): the second item is the targets Y, and it is None; to run "
                                       r"the model without targets give X alone: predict\(model, X\), with "
                                       r"lengths=\.\.\. if padded$"),
    ("predict", "X, None, lengths", ValueError, r"^data=\(X, None, lengths\): the second item is the targets Y"),
    ("evaluate", "X, None", ValueError, r"^data=\(X, None\): the second item is the targets Y, and it is None; give "
                                        r"\(X, Y\), \(X, Y, lengths\) or a Dataset$"),
    ("evaluate", "X", TypeError, r"^data is an array X alone, without the targets Y that are needed here: give "
                                 r"\(X, Y\), \(X, Y, lengths\) or a Dataset \(predict\(model, X\) runs a model "
                                 r"without targets\)$"),
    ("evaluate", "X,", TypeError, r"^data is \(X,\), without the targets Y that are needed here"),
    ("train", "X, None", ValueError, r"^train_data=\(X, None\): the second item is the targets Y, and it is None"),
    ("train", "X", TypeError, r"^train_data is an array X alone, without the targets Y"),
    ("predict", "text", TypeError, r"^data must be a minilstm.data.Dataset, an array X, or a tuple \(X,\), \(X, Y\) "
                                   r"or \(X, Y, lengths\), got str$"),
    ("evaluate", "text", TypeError, r"^data must be a minilstm.data.Dataset, or a tuple \(X, Y\) or "
                                    r"\(X, Y, lengths\), got str$"),
    ("predict", "X[0, 0]", ValueError, r"^X must be batch-first, \(N, T, F\) floats or \(N, T\) token ids, "
                                       r"got shape \(3,\)$"),
])
def test_data_without_what_is_needed_is_refused(call, form, error, match, padded):
    X, Y, lengths, model = padded
    given = {"X, None": (X, None), "X, None, lengths": (X, None, lengths), "X": X, "X,": (X,), "text": "X",
             "X[0, 0]": X[0, 0]}[form]
    run = {"predict": minilstm.predict, "evaluate": minilstm.evaluate,
           "train": lambda m, d: minilstm.train(m, d, epochs=1, progress=False)}[call]
    with pytest.raises(error, match=match):
        run(model, given)


def test_lengths_given_twice_or_wrong_are_refused(padded):
    X, Y, lengths, model = padded
    for call in (minilstm.predict, minilstm.evaluate):
        with pytest.raises(ValueError, match=r"^lengths given twice: as the third item of data and as lengths=; "
                                             r"give one$"):
            call(model, (X, Y, lengths), lengths=lengths)
        with pytest.raises(ValueError, match=r"^lengths= goes with arrays; the Dataset data carries its own lengths "
                                             r"\(make it with Dataset\(X, Y, lengths\)\)$"):
            call(model, data.Dataset(X, Y), lengths=lengths)
    with pytest.raises(ValueError, match=r"^lengths must be in \[1, T=7\], got values from 0 to 6$"):
        minilstm.predict(model, X, lengths=lengths - 1)
    with pytest.raises(ValueError, match=r"^lengths must have shape \(5,\) \(one length per sequence"):
        minilstm.predict(model, X, lengths=lengths[:3])
    with pytest.raises(TypeError, match=r"^lengths must hold integers, got dtype float64$"):
        minilstm.predict(model, X, lengths=lengths.astype(float))
