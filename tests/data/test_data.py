"""The built-in tasks: shapes, seeding, the papers' rules and criteria, argument checks."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from minilstm import data
from minilstm.data import Dataset

SMALL = {  # quick settings per task for the shared tests
    "sine": dict(n_points=200), "sines": dict(n_points=200, channels=2),
    "adding": dict(n=50, T=20), "reber": dict(n=50), "order": dict(n=50, T=20),
    "copy": dict(n=50, K=3, delay=4), "text": dict(seq_len=50), "lengths": dict(n=50),
    "python": dict(rows=64), "reverse": dict(n=50, T=5),
}
KIND = {"sine": "regression_last", "sines": "regression_last", "adding": "regression_last",
        "reber": "regression_seq", "order": "classify_last", "copy": "classify_seq",
        "text": "classify_seq", "lengths": "classify_last", "python": "classify_seq", "reverse": "classify_seq"}


# ---------------------------------------------------------------- shared


@pytest.mark.parametrize("name", list(data.TASKS))
def test_same_seed_same_arrays(name):
    a, b = data.make_task(name, seed=3, **SMALL[name]), data.make_task(name, seed=3, **SMALL[name])
    assert a.kind == KIND[name]
    for u, v in [(a.X, b.X), (a.Y, b.Y), (a.lengths, b.lengths)]:
        assert (u is None and v is None) or np.array_equal(u, v)
    if name not in ("text", "python"):  # the texts have no randomness
        c = data.make_task(name, seed=4, **SMALL[name])
        assert not (a.X.shape == c.X.shape and np.array_equal(a.X, c.X))


@pytest.mark.parametrize("name", list(data.TASKS))
def test_dtypes_and_kinds(name):
    ds = data.make_task(name, seed=0, **SMALL[name])
    N = len(ds)
    assert ds.X.dtype in (np.float32, np.int64) and ds.X.shape[0] == N
    if ds.lengths is not None:
        assert ds.lengths.dtype == np.int64 and ds.lengths.shape == (N,)
        assert ds.lengths.max() == ds.X.shape[1]
    expected = {"regression_last": (np.float32, 2), "regression_seq": (np.float32, 3),
                "classify_last": (np.int64, 1), "classify_seq": (np.int64, 2)}[ds.kind]
    assert (ds.Y.dtype, ds.Y.ndim) == expected
    if ds.kind.startswith("classify"):
        assert ds.Y.max() < ds.meta["n_classes"] and ds.Y.min() >= data.IGNORE


def test_make_task_unknown_name_lists_names():
    with pytest.raises(ValueError, match=r"name must be one of .*'adding'.*'text'"):
        data.make_task("addition")


def test_make_task_passes_keywords():
    assert data.make_task("copy", seed=0, n=7, K=2, delay=0).X.shape == (7, 5, 10)


@pytest.mark.parametrize("seed, err", [(-1, ValueError), (1.5, TypeError), ("1", TypeError)])
def test_bad_seed(seed, err):
    with pytest.raises(err, match="seed"):
        data.adding_problem(n=2, seed=seed)


def test_dataset_checks_its_fields():
    X, Y = np.zeros((3, 4, 1), np.float32), np.zeros((3, 1), np.float32)
    with pytest.raises(ValueError, match="kind must be one of"):
        Dataset(X, Y, kind="regression")
    with pytest.raises(ValueError, match="Y must have 3 rows"):
        Dataset(X, Y[:2])
    with pytest.raises(ValueError, match=r"lengths must have shape \(3,\)"):
        Dataset(X, Y, lengths=np.ones(2, np.int64))


def test_split_covers_each_sequence_once():
    ds = data.sum_sign(n=100, seed=0)
    ds = Dataset(ds.X, np.arange(100), ds.lengths, ds.kind, ds.meta)  # Y tags each sequence
    parts = data.split(ds, (0.7, 0.2, 0.1), seed=1)
    assert [len(p) for p in parts] == [70, 20, 10]
    assert sorted(np.concatenate([p.Y for p in parts]).tolist()) == list(range(100))
    assert np.array_equal(parts[0].Y, data.split(ds, (0.7, 0.2, 0.1), seed=1)[0].Y)
    kept = data.split(ds, (0.5, 0.5), shuffle=False)
    assert np.array_equal(kept[1].Y, np.arange(50, 100))
    assert np.array_equal(parts[1].lengths, ds.lengths[parts[1].Y])


@pytest.mark.parametrize("fractions", [(0.5, 0.6), (1.2, -0.2), (), "ab"])
def test_split_bad_fractions(fractions):
    with pytest.raises((ValueError, TypeError), match="fractions"):
        data.split(data.sum_sign(n=10, seed=0), fractions)


def test_split_refuses_an_empty_part():
    with pytest.raises(ValueError, match="empty part"):
        data.split(data.sum_sign(n=3, seed=0), (0.8, 0.1, 0.1))


def test_batches_visit_every_sequence_once():
    ds = data.copy_task(n=23, K=2, delay=1, seed=0)
    got = list(data.batches(ds, 5, shuffle=True, rng=np.random.default_rng(0)))
    assert [len(b) for b in got] == [5, 5, 5, 5, 3]
    rows = np.concatenate([b.X for b in got])
    assert sorted(map(bytes, rows)) == sorted(map(bytes, ds.X))
    assert [len(b) for b in data.batches(ds, 5, drop_last=True, rng=0)] == [5] * 4
    first = next(data.batches(ds, 5, shuffle=False))
    assert np.array_equal(first.Y, ds.Y[:5]) and first.kind == ds.kind


def test_batches_bad_batch_size():
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        next(data.batches(data.sum_sign(n=4, seed=0), 0))


# ---------------------------------------------------------------- sine


def test_sine_windows_and_chronological_split():
    ds = data.sine_wave(n_points=1000, window=20, seed=0)
    assert ds.X.shape == (940, 20, 1) and ds.Y.shape == (940, 1)
    assert ds.meta["split_sizes"] == (680, 130, 130) and ds.meta["noise"] == 0.1
    train, val, test = data.chronological_split(ds)
    scaled = ds.meta["scaler"].transform(ds.meta["series"]).astype(np.float32)
    # each window lies wholly inside its stretch: val starts at point 700, test at 850
    assert np.array_equal(val.X[0, :, 0], scaled[700:720, 0])
    assert np.array_equal(test.X[-1, :, 0], scaled[979:999, 0]) and test.Y[-1, 0] == scaled[999, 0]
    assert np.array_equal(train.X[1:, :, 0], np.concatenate([train.X[:-1, 1:, 0], train.Y[:-1]], 1))
    # the scaler saw the training stretch only
    assert ds.meta["scaler"].data_max[0] == ds.meta["series"][:700].max()
    assert min(train.X.min(), train.Y.min()) == -1.0 and max(train.X.max(), train.Y.max()) == 1.0


def test_chronological_split_needs_the_whole_series():
    ds = data.sine_wave(n_points=200, seed=0)
    with pytest.raises(ValueError, match="does not add up"):
        data.chronological_split(data.chronological_split(ds)[0])
    with pytest.raises(ValueError, match="no meta"):
        data.chronological_split(data.sum_sign(n=5, seed=0))


def test_sine_targets_in_original_units():
    ds = data.sine_wave(n_points=300, noise=0.0, dt=0.05, seed=0)
    _, _, test = data.chronological_split(ds)
    t_next = ds.meta["t"][-len(test):]
    np.testing.assert_allclose(ds.meta["scaler"].inverse_transform(test.Y)[:, 0], np.sin(t_next),
                               atol=1e-6)


def test_sine_rmse_of_the_clean_signal_is_the_noise():
    ds = data.sine_wave(n_points=4000, noise=0.1, seed=1)
    sc = ds.meta["scaler"]
    _, _, test = data.chronological_split(ds)
    t_next = ds.meta["t"][-len(test):]  # the test targets are the last points
    oracle = sc.transform(np.sin(t_next)[:, None])  # knows the signal, not the fresh noise
    assert abs(data.rmse(oracle, test.Y, sc) - ds.meta["noise"]) < 0.01
    assert data.rmse(test.Y, test.Y, sc) == 0.0


def test_scaler_round_trip():
    x = np.random.default_rng(0).normal(3.0, 2.0, (50, 4))
    sc = data.MinMaxScaler.fit(x)
    y = sc.transform(x)
    np.testing.assert_allclose(y.min(0), -1.0)
    np.testing.assert_allclose(y.max(0), 1.0)
    np.testing.assert_allclose(sc.inverse_transform(y), x, rtol=1e-12)
    const = data.MinMaxScaler.fit(np.ones((5, 1)))
    assert np.isfinite(const.transform(np.ones((2, 1)))).all()


def test_scaler_bad_range():
    with pytest.raises(ValueError, match="low must be < high"):
        data.MinMaxScaler.fit(np.zeros((3, 1)), low=1.0, high=-1.0)


def test_sines_multivariate():
    ds = data.sine_waves(n_points=500, channels=4, window=10, seed=2)
    assert ds.X.shape[1:] == (10, 4) and ds.Y.shape[1:] == (4,)
    assert ds.meta["scaler"].data_min.shape == (4,) and ds.meta["freqs"].shape == (4,)
    assert np.array_equal(ds.X[1, -1], ds.Y[0])


@pytest.mark.parametrize("kw, match", [
    (dict(window=0), "window must be a positive int"),
    (dict(n_points=50), r"n_points must be >= 63"),
    (dict(noise=-0.1), "noise must be a finite number >= 0"),
    (dict(dt=0.0), "dt must be a finite number > 0"),
    (dict(n_points=100, window=20, fractions=(0.9, 0.05, 0.05)), "longer than window=20"),
])
def test_sine_bad_arguments(kw, match):
    with pytest.raises(ValueError, match=match):
        data.sine_wave(**kw)


def test_sines_bad_channels():
    with pytest.raises(ValueError, match="channels must be a positive int"):
        data.sine_waves(channels=0)


# ---------------------------------------------------------------- adding


def test_adding_follows_the_paper():
    T = 100
    ds = data.adding_problem(n=300, T=T, seed=0)
    values, markers = ds.X[..., 0], ds.X[..., 1]
    rows = np.arange(300)
    assert ds.lengths.min() >= T and ds.lengths.max() <= T + T // 10
    valid = data.mask(ds.lengths, ds.X.shape[1])
    assert np.all(ds.X[~valid] == 0)  # zero padding
    assert np.all((markers == 1).sum(1) == 2)
    p1, p2 = ds.meta["positions"].T
    assert np.all(p1 < 10) and np.all(p2 < T // 2) and np.all(p1 != p2)
    assert np.all(markers[rows, p1] == 1) and np.all(markers[rows, p2] == 1)
    first_marked = (p1 == 0) | (p2 == 0)
    assert np.all(markers[~first_marked, 0] == -1) and np.all(markers[rows, ds.lengths - 1] == -1)
    assert np.all(values[first_marked, 0] == 0)
    assert set(np.unique(markers[valid]).tolist()) <= {-1.0, 0.0, 1.0}
    target = 0.5 + (values * (markers == 1)).sum(1) / 4.0
    np.testing.assert_allclose(ds.Y[:, 0], target, atol=1e-6)
    assert np.all((values[valid] >= -1) & (values[valid] <= 1))


def test_adding_fixed_length():
    ds = data.adding_problem(n=10, T=30, variable=False, seed=0)
    assert ds.X.shape == (10, 30, 2) and np.all(ds.lengths == 30)


def test_adding_accuracy_criterion():
    ds = data.adding_problem(n=2000, T=20, seed=1)
    assert data.adding_accuracy(ds.Y, ds.Y) == 1.0
    assert data.adding_accuracy(ds.Y[:, 0] + 0.039, ds.Y) == 1.0
    assert data.adding_accuracy(ds.Y + 0.041, ds.Y) == 0.0
    assert data.adding_accuracy(np.full(2000, 0.5), ds.Y) < 0.25


@pytest.mark.parametrize("kw, err, match", [
    (dict(T=19), ValueError, "T must be >= 20"),
    (dict(n=0), ValueError, "n must be a positive int"),
    (dict(T=50.0), TypeError, "T must be a positive int"),
    (dict(variable=1), TypeError, "variable must be True or False"),
])
def test_adding_bad_arguments(kw, err, match):
    with pytest.raises(err, match=match):
        data.adding_problem(**kw)


def test_adding_accuracy_shape_mismatch():
    with pytest.raises(ValueError, match="pred must hold one value per target"):
        data.adding_accuracy(np.zeros(3), np.zeros(4))


# ---------------------------------------------------------------- reber

# An acceptor written from the grammar's diagram, apart from the generator.
REBER_EDGES = {1: {"T": 2, "P": 3}, 2: {"S": 2, "X": 4}, 3: {"T": 3, "V": 5},
               4: {"X": 3, "S": 6}, 5: {"P": 4, "V": 6}, 6: {"E": 0}}


def reber_legal(s: str) -> list[set] | None:
    """Legal next symbols after each symbol of a Reber string, or None if not grammatical."""
    if not s.startswith("B"):
        return None
    state, legal = 1, []
    for c in s[1:]:
        legal.append(set(REBER_EDGES[state]))
        if c not in REBER_EDGES.get(state, {}):  # state 0: past the end
            return None
        state = REBER_EDGES[state][c]
    return legal + [set()] if state == 0 else None


def embedded_legal(s: str) -> list[set] | None:
    """Legal next symbols for an embedded Reber string, or None if not grammatical."""
    if len(s) < 9 or s[0] != "B" or s[1] not in "TP" or s[-2] != s[1] or s[-1] != "E":
        return None
    inner = reber_legal(s[2:-2])
    if inner is None:
        return None
    return [{"T", "P"}, {"B"}] + inner[:-1] + [{s[1]}, {"E"}, set()]


def test_reber_strings_are_grammatical():
    strings, _ = data.reber_strings(200, seed=0)
    assert all(embedded_legal(s) is not None for s in strings)
    assert {s[1] for s in strings} == {"T", "P"}
    plain, _ = data.reber_strings(200, embedded=False, seed=0)
    assert all(reber_legal(s) is not None for s in plain)
    assert reber_legal("BTXSE") and reber_legal("BPTVPSE") and not reber_legal("BTXE")
    assert embedded_legal("BTBPVVETE") and not embedded_legal("BTBPVVEPE")


def test_reber_inputs_and_legal_targets():
    ds = data.reber_grammar(n=100, seed=1)
    sym = data.reber.SYMBOLS
    for r, s in enumerate(ds.meta["strings"]):
        L = ds.lengths[r]
        assert L == len(s) - 1
        assert "".join(sym[i] for i in ds.X[r, :L].argmax(1)) == s[:-1]
        legal = embedded_legal(s)
        got = [{sym[i] for i in np.flatnonzero(ds.Y[r, t])} for t in range(L)]
        assert got == legal[:-1]
        assert not ds.X[r, L:].any() and not ds.Y[r, L:].any()


def test_reber_next_symbol_targets():
    ds = data.reber_grammar(n=30, one_hot_inputs=False, targets="next", seed=2)
    assert ds.kind == "classify_seq" and ds.X.dtype == np.int64 and ds.X.ndim == 2
    sym = data.reber.SYMBOLS
    for r, s in enumerate(ds.meta["strings"]):
        L = ds.lengths[r]
        assert "".join(sym[i] for i in ds.Y[r, :L]) == s[1:]
        assert np.all(ds.Y[r, L:] == -1)
        assert np.all(ds.meta["legal"][r, np.arange(L), ds.Y[r, :L]] == 1)  # next is legal


def test_reber_accuracy_criterion():
    ds = data.reber_grammar(n=200, seed=3)
    legal = ds.meta["legal"]
    assert data.reber_accuracy(legal, legal, ds.lengths) == 1.0
    # scores off the end of each string are ignored
    noisy = legal + np.where(data.mask(ds.lengths, legal.shape[1])[..., None], 0, 9.0)
    assert data.reber_accuracy(noisy, legal, ds.lengths) == 1.0
    # after the first B, T and P are legal: ranking T above P is still right ...
    scores = legal.copy()
    scores[:, 0, 1] += 1.0
    assert data.reber_accuracy(scores, legal, ds.lengths) == 1.0
    # ... but an illegal S above P fails every string
    scores[:, 0, 3] = 1.5
    assert data.reber_accuracy(scores, legal, ds.lengths) == 0.0
    rand = np.random.default_rng(0).random(legal.shape)
    assert data.reber_accuracy(rand, legal, ds.lengths) < 0.05


def test_reber_bad_arguments():
    with pytest.raises(ValueError, match="targets must be one of"):
        data.reber_grammar(n=2, targets="sets")
    with pytest.raises(ValueError, match="n must be a positive int"):
        data.reber_grammar(n=0)
    with pytest.raises(ValueError, match="scores must have the shape of legal"):
        data.reber_accuracy(np.zeros((2, 3, 7)), np.zeros((2, 4, 7)), np.ones(2))


# ---------------------------------------------------------------- order


def test_order_labels_match_positions():
    ds = data.temporal_order(n=300, T=100, one_hot_inputs=False, seed=0)
    ids, rows = ds.X, np.arange(300)
    t1, t2 = ds.meta["positions"].T
    assert t1.min() >= 10 and t1.max() <= 20 and t2.min() >= 50 and t2.max() <= 60
    assert ds.lengths.min() >= 100 and ds.lengths.max() <= 110
    X_ID, Y_ID = ds.meta["symbols"].index("X"), ds.meta["symbols"].index("Y")
    relevant = (ids == X_ID) | (ids == Y_ID)
    assert np.all(relevant.sum(1) == 2) and np.all(relevant[rows, t1] & relevant[rows, t2])
    order = ["X" if ids[r, t] == X_ID else "Y" for r, t in zip(rows, t1)]
    order = [o + ("X" if ids[r, t] == X_ID else "Y") for o, r, t in zip(order, rows, t2)]
    assert [ds.meta["classes"][y] for y in ds.Y] == order
    assert np.all(ids[:, 0] == 0) and np.all(ids[rows, ds.lengths - 1] == 1)  # E ... B
    inside = data.mask(ds.lengths - 1, ids.shape[1]) & ~relevant
    inside[:, 0] = False
    assert set(np.unique(ids[inside]).tolist()) == {2, 3, 4, 5}  # a, b, c, d
    assert np.bincount(ds.Y, minlength=4).min() > 40


def test_order_one_hot_is_padded_with_zeros():
    ds = data.temporal_order(n=40, T=20, seed=1)
    assert ds.X.shape[2] == 8 and ds.X.dtype == np.float32
    valid = data.mask(ds.lengths, ds.X.shape[1])
    assert np.all(ds.X[valid].sum(1) == 1) and not ds.X[~valid].any()
    assert data.class_accuracy(np.eye(4)[ds.Y], ds.Y) == 1.0


def test_order_bad_T():
    with pytest.raises(ValueError, match="T must be >= 10"):
        data.temporal_order(T=9)


# ---------------------------------------------------------------- copy


def test_copy_targets():
    K, delay, A = 4, 6, 5
    ds = data.copy_task(n=20, K=K, delay=delay, alphabet=A, one_hot_inputs=False, seed=0)
    T = 2 * K + delay + 1
    assert ds.X.shape == (20, T) and ds.Y.shape == (20, T)
    assert np.array_equal(ds.Y[:, -K:], ds.X[:, :K]) and np.all(ds.Y[:, :-K] == -1)
    assert np.all(ds.X[:, K + delay] == A + 1)  # the delimiter
    blanks = np.ones(T, bool)
    blanks[:K] = blanks[K + delay] = False
    assert np.all(ds.X[:, blanks] == A) and ds.X[:, :K].max() < A


def test_copy_accuracy():
    ds = data.copy_task(n=10, K=3, delay=2, seed=1)
    perfect = np.eye(10)[np.where(ds.Y < 0, 0, ds.Y)]
    assert data.copy_accuracy(perfect, ds.Y) == 1.0
    perfect[0, -1] = np.roll(perfect[0, -1], 1)  # one wrong symbol in one sequence
    assert data.copy_accuracy(perfect, ds.Y) == 0.9
    perfect[:, 0] = np.roll(perfect[:, 0], 1, axis=-1)  # unscored steps do not count
    assert data.copy_accuracy(perfect, ds.Y) == 0.9


@pytest.mark.parametrize("kw, match", [
    (dict(K=0), "K must be a positive int"),
    (dict(delay=-1), "delay must be an int >= 0"),
    (dict(alphabet=1), "alphabet must be >= 2"),
])
def test_copy_bad_arguments(kw, match):
    with pytest.raises(ValueError, match=match):
        data.copy_task(**kw)


# ---------------------------------------------------------------- text


def test_char_vocab_round_trip():
    text = data.load_text()
    vocab = data.CharVocab.from_text(text)
    ids = vocab.encode(text)
    assert ids.dtype == np.int64 and vocab.decode(ids) == text
    assert vocab.chars == "".join(sorted(set(text))) and vocab.size == len(vocab.chars)
    with pytest.raises(ValueError, match="not in the vocabulary"):
        vocab.encode("~")
    with pytest.raises(ValueError, match="ids must be in"):
        vocab.decode([vocab.size])


def test_text_from_a_utf8_file(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("héllo wörld, héllo\n" * 5, encoding="utf-8")
    ds = data.char_text(path, seq_len=10)
    vocab = ds.meta["vocab"]
    assert "é" in vocab.chars and ds.X.shape == (9, 10)
    stream = vocab.encode(path.read_text(encoding="utf-8"))
    assert np.array_equal(ds.X.reshape(-1), stream[:90]) and np.array_equal(ds.Y.reshape(-1),
                                                                           stream[1:91])


def test_text_missing_file(tmp_path):
    missing = tmp_path / "nope.txt"
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        data.char_text(missing)


def test_text_empty_file(tmp_path):
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    with pytest.raises(ValueError, match="is empty"):
        data.load_text(tmp_path / "empty.txt")


def test_text_too_short_for_seq_len(tmp_path):
    (tmp_path / "short.txt").write_text("abc", encoding="utf-8")
    with pytest.raises(ValueError, match="seq_len=3 needs a text of at least 4"):
        data.char_text(tmp_path / "short.txt", seq_len=3)


def test_tbptt_layout_is_continuous():
    ids = np.arange(1003)
    chunks = list(data.text_batches_tbptt(ids, batch_size=4, seq_len=30))
    L = (1003 - 1) // 4  # 250 ids per row
    assert [x.shape for x, _ in chunks] == [(4, 30)] * 8 + [(4, 10)]
    for (x0, _), (x1, _) in zip(chunks[:-1], chunks[1:]):
        assert np.all(x1[:, 0] == x0[:, -1] + 1)  # row r of chunk k+1 continues row r of chunk k
    rows = np.concatenate([x for x, _ in chunks], axis=1)
    assert np.array_equal(rows, ids[:4 * L].reshape(4, L))
    assert all(np.array_equal(y, x + 1) for x, y in chunks)  # targets: the next id
    assert all(x.dtype == np.int64 for x, _ in chunks)


def test_tbptt_bad_arguments():
    with pytest.raises(ValueError, match="batch_size=8 needs at least 9 ids"):
        next(data.text_batches_tbptt(np.arange(8), 8, 4))
    with pytest.raises(ValueError, match="seq_len must be a positive int"):
        next(data.text_batches_tbptt(np.arange(8), 2, 0))
    with pytest.raises(ValueError, match="ids must be a 1-D array of ints"):
        next(data.text_batches_tbptt(np.zeros((2, 8)), 2, 2))


def _bigram_step_fn(V: int, seen: list):
    """A fixed bigram model: the logits after id ``i`` are row ``i`` of a table."""
    table = np.random.default_rng(0).normal(size=(V, V))

    def step_fn(token_ids):
        seen.append(token_ids.tolist())
        return table[token_ids]  # (k, V): sample() takes the last row
    return step_fn, table


def test_sample_cold_temperature_is_argmax():
    vocab = data.CharVocab("abcdefgh")
    seen: list = []
    step_fn, table = _bigram_step_fn(vocab.size, seen)
    out = data.sample(step_fn, vocab, "ab", 20, temperature=1e-4, rng=0)
    greedy = [1]  # after "b"
    for _ in range(20):
        greedy.append(int(table[greedy[-1]].argmax()))
    assert out == "a" + vocab.decode(greedy)
    assert seen[0] == [0, 1] and all(len(s) == 1 for s in seen[1:])  # prime once, then one id
    hot = data.sample(step_fn, vocab, "a", 200, temperature=10.0, rng=0)
    assert len(set(hot)) == vocab.size  # a hot sampler visits every symbol
    again = [data.sample(step_fn, vocab, "a", 50, rng=3) for _ in range(2)]
    assert again[0] == again[1]  # seeded


@pytest.mark.parametrize("temperature", [1e-320, 5e-324, 1e-300])
def test_sample_at_a_subnormal_temperature_is_still_the_argmax(temperature):
    vocab = data.CharVocab("abc")

    def step_fn(ids):
        return np.array([0.5, 2.0, -3.0]) if ids[-1] != 1 else np.array([2.0, 1.0, 2.0])  # a tie after "b"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning either
        out = data.sample(step_fn, vocab, "a", 30, temperature=temperature, rng=0)
    assert out[0] == "a" and set(out[1::2]) == {"b"}   # the argmax after "a" or "c"
    assert set(out[2::2]) == {"a", "c"}                   # a tie is still a fair draw between the tied


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_sample_refuses_logits_that_are_not_finite(bad):
    with pytest.raises(ValueError, match="not all finite .after 2 characters.: the model has diverged"):
        data.sample(lambda ids: np.array([0.0, bad, 1.0]), data.CharVocab("abc"), "ab", 5, rng=0)


@pytest.mark.parametrize("temperature", [0.0, -1.0, float("inf")])
def test_sample_bad_temperature(temperature):
    step_fn, _ = _bigram_step_fn(3, [])
    with pytest.raises(ValueError, match="temperature must be a finite number > 0"):
        data.sample(step_fn, data.CharVocab("abc"), "a", 5, temperature=temperature)


def test_sample_bad_prime_and_logits():
    vocab = data.CharVocab("abc")
    step_fn, _ = _bigram_step_fn(3, [])
    with pytest.raises(ValueError, match="prime must be a non-empty str"):
        data.sample(step_fn, vocab, "", 5)
    with pytest.raises(ValueError, match="step_fn must return logits of shape"):
        data.sample(lambda ids: np.zeros(4), vocab, "a", 5)


# ---------------------------------------------------------------- variable lengths


def test_sum_sign_respects_lengths():
    ds = data.sum_sign(n=200, min_len=3, max_len=12, pad_value=float("nan"), seed=0)
    assert ds.lengths.min() >= 3 and ds.lengths.max() == 12 and ds.X.shape == (200, 12, 1)
    valid = data.mask(ds.lengths, 12)
    assert np.all(np.isnan(ds.X[~valid])) and np.isfinite(ds.X[valid]).all()
    sums = np.array([ds.X[r, :L, 0].sum() for r, L in enumerate(ds.lengths)])
    assert np.array_equal(ds.Y, (sums > 0).astype(np.int64))
    assert 60 < ds.Y.sum() < 140
    zero = data.sum_sign(n=20, seed=1)
    assert not zero.X[~data.mask(zero.lengths, zero.X.shape[1])].any()


def test_sum_sign_bad_lengths():
    with pytest.raises(ValueError, match="max_len must be >= min_len=5"):
        data.sum_sign(min_len=5, max_len=4)
    with pytest.raises(ValueError, match="min_len must be a positive int"):
        data.sum_sign(min_len=0)


# ---------------------------------------------------------------- reverse and sort


@pytest.mark.parametrize("mode", ["reverse", "sort"])
def test_reverse_task_targets_are_the_input_reversed_or_sorted(mode):
    ds = data.reverse_task(n=40, T=6, alphabet=5, mode=mode, seed=1)
    ids = ds.X.argmax(-1)
    assert ds.X.shape == (40, 6, 5) and ds.Y.shape == (40, 6) and ds.lengths is None
    np.testing.assert_array_equal(ids, ds.meta["source"])
    expected = ids[:, ::-1] if mode == "reverse" else np.sort(ids, axis=1)
    np.testing.assert_array_equal(ds.Y, expected)
    assert ds.meta["start"] == ds.meta["n_classes"] == 5 and ds.meta["mode"] == mode
    assert data.sequence_accuracy(np.eye(5)[expected], ds.Y) == 1.0  # the criterion: every step right


def test_reverse_task_ids_and_shift_right():
    ds = data.reverse_task(n=3, T=4, alphabet=3, one_hot_inputs=False, seed=0)
    assert ds.X.dtype == np.int64 and ds.X.shape == (3, 4)
    dec = data.shift_right(ds.Y, ds.meta["start"])
    assert dec.dtype == np.int64 and np.all(dec[:, 0] == 3)
    np.testing.assert_array_equal(dec[:, 1:], ds.Y[:, :-1])  # step t reads the target of step t - 1


@pytest.mark.parametrize("kw, err, match", [
    (dict(T=1), ValueError, r"T must be >= 2 \(one symbol is its own reverse\), got 1"),
    (dict(alphabet=1), ValueError, r"alphabet must be >= 2"),
    (dict(mode="shuffle"), ValueError, r"mode must be one of \('reverse', 'sort'\), got 'shuffle'"),
    (dict(n=0), ValueError, "n must be a positive int"),
], ids=["T", "alphabet", "mode", "n"])
def test_reverse_task_refuses_bad_arguments(kw, err, match):
    with pytest.raises(err, match=match):
        data.reverse_task(**kw)


def test_shift_right_refuses_bad_input():
    with pytest.raises(ValueError, match=r"Y must be a 2-D int array \(sequences, steps\), got float64 shape \(2, 3\)"):
        data.shift_right(np.zeros((2, 3)), 0)
    with pytest.raises(ValueError, match="start"):
        data.shift_right(np.zeros((2, 3), np.int64), -1)
