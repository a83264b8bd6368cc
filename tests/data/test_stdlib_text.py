"""The python task: the standard library's source, whole files held out, the stream layout, bits per character."""
from __future__ import annotations

import math
import os

import numpy as np
import pytest

import minilstm
from minilstm import data
from minilstm.data import stdlib_text as ps


@pytest.fixture
def tiny_root(tmp_path):
    """25 small .py files (names out of order on disk), one with characters outside printable ASCII."""
    for i in reversed(range(25)):
        (tmp_path / f"m{i:02d}.py").write_text(f"def f{i}(x):\n\treturn x + {i}  # caf\u00e9\r\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not python", encoding="utf-8")
    return str(tmp_path)


def test_every_tenth_file_by_name_is_held_out_whole(tiny_root):
    corpus = ps.python_corpus(tiny_root)
    names = [f"m{i:02d}.py" for i in range(25)]
    assert corpus["held_out_files"] == ["m09.py", "m19.py"]
    assert corpus["files"] == [n for n in names if n not in ("m09.py", "m19.py")]
    assert corpus["held_out_text"] == ("def f9(x):\n\treturn x + 9  # caf\ufffd\n"
                                       "def f19(x):\n\treturn x + 19  # caf\ufffd\n")
    assert corpus["text"].startswith("def f0(x):\n") and corpus["python"] in os.sys.version  # \r\n read as \n


def test_vocabulary_is_printable_ascii_tab_newline_and_one_unknown():
    assert ps.VOCAB.size == 98 and ps.VOCAB.chars == "".join(sorted(ps.VOCAB.chars))
    assert ps.clean("a\tb\nc\u00e9\r\x0c~") == "a\tb\nc\ufffd\ufffd\ufffd~" and data.UNKNOWN == "\ufffd"
    text = "x = '\u00e9'\n\tif x:  # ~\n"
    ids = ps.encode(ps.clean(text))
    assert np.array_equal(ids, ps.VOCAB.encode(ps.clean(text))) and ps.VOCAB.decode(ids) == ps.clean(text)
    with pytest.raises(ValueError, match="outside the vocabulary; clean"):
        ps.encode("\u00e9")


def test_the_standard_library_corpus():
    """The running interpreter's own source: deterministic, its held-out part every tenth file, meta complete."""
    train_set = data.make_task("python", rows=64)
    held_out = data.python_source(rows=32, part="held_out")
    meta = train_set.meta
    names = [os.path.basename(f) for f in ps.stdlib_files()]
    assert names == sorted(names) and meta["held_out_files"] == names[9::10]
    assert meta["files"] == [n for i, n in enumerate(names) if i % 10 != 9]
    assert meta["vocab"] is ps.VOCAB and meta["n_classes"] == 98
    assert meta["root"] == os.path.dirname(ps.stdlib_files()[0])
    assert ps.VOCAB.decode(meta["held_out_ids"]) == meta["held_out_text"] == held_out.meta["held_out_text"]
    assert len(meta["text"]) > 5 * len(meta["held_out_text"]) and "def " in meta["held_out_text"]
    L = (len(meta["ids"]) - 1) // 64
    assert train_set.X.shape == train_set.Y.shape == (64, L) and held_out.X.shape[0] == 32
    assert np.array_equal(train_set.X, data.make_task("python", rows=64, seed=5).X)


def test_stream_rows_are_contiguous_and_targets_one_ahead():
    ids = np.arange(103)
    x, y = data.stream_rows(ids, 4)
    assert x.shape == y.shape == (4, 25)
    assert np.array_equal(x[1], np.arange(25, 50)) and np.array_equal(y, x + 1)
    chunks = [x[:, t:t + 10] for t in range(0, 25, 10)]  # what truncated BPTT reads, chunk after chunk
    assert np.array_equal(np.concatenate(chunks, axis=1)[2], ids[50:75])
    with pytest.raises(ValueError, match="rows=200 needs at least 201 characters, got 103"):
        data.stream_rows(ids, 200)
    with pytest.raises(ValueError, match="rows must be"):
        data.stream_rows(ids, 0)


def test_bad_part_names_the_argument(tiny_root):
    with pytest.raises(ValueError, match="part must be 'train' or 'held_out', got 'test'"):
        data.python_source(rows=2, part="test", root=tiny_root)
    with pytest.raises(FileNotFoundError, match="root: no"):
        data.python_source(rows=2, root=os.path.join(tiny_root, "nowhere"))


def test_bits_per_char_is_the_cross_entropy_in_bits():
    assert data.bits_per_char(np.zeros((2, 5, 98)), np.zeros((2, 5), dtype=np.int64)) == pytest.approx(math.log2(98))
    rng = np.random.default_rng(0)
    logits, y = rng.normal(size=(3, 7, 98)).astype(np.float32), rng.integers(0, 98, size=(3, 7))
    nats, _ = minilstm.nn.cross_entropy(logits, y)
    assert data.bits_per_char(logits, y) == pytest.approx(float(nats) / math.log(2), rel=1e-5)


def test_compressors_and_context():
    text = "def f(x):\n    return x + 1\n" * 40
    for method in ("gzip", "bz2", "xz"):
        alone = data.compressed_bits_per_char(text, method)
        assert 0 < data.compressed_bits_per_char(text, method, context=text) < alone < 8
    with pytest.raises(ValueError, match="method must be one of"):
        data.compressed_bits_per_char(text, "zip")
    with pytest.raises(ValueError, match="text must be a non-empty str"):
        data.compressed_bits_per_char("", "gzip")


def test_sample_takes_a_model_itself():
    model = minilstm.Model(8, 6, 98, readout="all", vocab_size=98, seed=0)
    by_model = data.sample(model, ps.VOCAB, "def ", 30, rng=1)
    assert by_model == data.sample(model.step_fn(), ps.VOCAB, "def ", 30, rng=1) and by_model.startswith("def ")
    assert len(by_model) == 34
