"""Loading PyTorch's weights gives PyTorch's outputs and gradients (float64, 1e-9 relative)."""
import numpy as np
import pytest

import minilstm

torch = pytest.importorskip("torch")

CASES = [
    ("RNN", {}),
    ("RNN", {"nonlinearity": "relu"}),
    ("LSTM", {}),
    ("GRU", {}),
    ("LSTM", {"num_layers": 2}),
    ("GRU", {"num_layers": 2, "bidirectional": True}),
    ("RNN", {"num_layers": 3, "bidirectional": True}),
    ("LSTM", {"num_layers": 2, "bidirectional": True, "batch_first": True}),
    ("LSTM", {"bias": False}),
]


def _rel(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


CASE_IDS = [f"{k}-{'-'.join(map(str, v.values())) or 'default'}" for k, v in CASES]


@pytest.mark.parametrize("kind,kwargs", CASES, ids=CASE_IDS)
def test_matches_torch(kind, kwargs, backend, rng):
    T, B, D, H = 6, 3, 4, 5
    torch.manual_seed(0)
    ref = getattr(torch.nn, kind)(D, H, dtype=torch.float64, **kwargs)
    ours = getattr(minilstm, kind)(D, H, dtype="float64", **kwargs)
    ours.load_state_dict({k: v.detach().numpy() for k, v in ref.state_dict().items()})

    LK = ours.num_layers * ours.num_directions
    x = rng.standard_normal((B, T, D) if ours.batch_first else (T, B, D))
    states = [rng.standard_normal((LK, B, H)) for _ in ours.cell.state_names]
    xt = torch.tensor(x, requires_grad=True)
    st = [torch.tensor(s, requires_grad=True) for s in states]
    out_t, state_t = ref(xt, tuple(st) if kind == "LSTM" else st[0])
    finals_t = list(state_t) if kind == "LSTM" else [state_t]
    w_out = rng.standard_normal(tuple(out_t.shape))
    w_states = [rng.standard_normal(tuple(s.shape)) for s in finals_t]
    loss = (out_t * torch.tensor(w_out)).sum() + sum((s * torch.tensor(w)).sum() for s, w in zip(finals_t, w_states))
    loss.backward()

    out, state = ours(x, tuple(states) if kind == "LSTM" else states[0])
    finals = list(state) if kind == "LSTM" else [state]
    dx, dstate = ours.backward(w_out, tuple(w_states) if kind == "LSTM" else w_states[0])
    dstates = list(dstate) if kind == "LSTM" else [dstate]

    assert _rel(minilstm.to_numpy(out), out_t.detach().numpy()) < 1e-9
    for a, b in zip(finals, finals_t):
        assert _rel(minilstm.to_numpy(a), b.detach().numpy()) < 1e-9
    assert _rel(minilstm.to_numpy(dx), xt.grad.numpy()) < 1e-9
    for a, b in zip(dstates, st):
        assert _rel(minilstm.to_numpy(a), b.grad.numpy()) < 1e-9
    for name, p in ref.named_parameters():
        assert _rel(minilstm.to_numpy(ours.grads[name]), p.grad.numpy()) < 1e-9, name


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_state_dict_loads_into_torch(kind):
    ours = getattr(minilstm, kind)(3, 4, num_layers=2, bidirectional=True, seed=0, dtype="float64")
    ref = getattr(torch.nn, kind)(3, 4, num_layers=2, bidirectional=True, dtype=torch.float64)
    ref.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((5, 2, 3))
    out, _ = ours(x)
    assert _rel(minilstm.to_numpy(out), ref(torch.from_numpy(x))[0].detach().numpy()) < 1e-9


def test_load_state_dict_accepts_tensors():
    ref = torch.nn.LSTM(3, 4, dtype=torch.float64)
    ours = minilstm.LSTM(3, 4, dtype="float64")
    ours.load_state_dict(ref.state_dict())  # tensors, not arrays
    np.testing.assert_array_equal(ours.state_dict()["weight_hh_l0"], ref.weight_hh_l0.detach().numpy())


def test_load_state_dict_refuses_meta_tensors():
    """A model built on device="meta" has shapes and no values: once a NotImplementedError from inside torch."""
    ref = torch.nn.LSTM(3, 4, device="meta")
    ours = minilstm.LSTM(3, 4)
    before = {k: np.array(v) for k, v in ours.state_dict().items()}
    with pytest.raises(ValueError, match=r"^state_dict\['weight_ih_l0'\] is a torch tensor on the meta device, "
                                         r"which holds no values: "):
        ours.load_state_dict(ref.state_dict())
    for k, v in ours.state_dict().items():
        np.testing.assert_array_equal(v, before[k])  # nothing copied
