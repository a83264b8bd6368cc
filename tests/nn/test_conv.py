"""Conv1d: gradient checks, PyTorch parity (values, gradients, weights), layout and input checks."""
import numpy as np
import pytest
from conftest import close

import minilstm
from minilstm.backend import check_dtype
from minilstm.gradcheck import gradcheck

CONFIGS = [
    {},
    {"padding": 1},
    {"stride": 2, "padding": 2, "dilation": 2},
    {"padding": "same", "dilation": 3},
    {"padding": "valid", "stride": 3},
    {"bias": False},
]
IDS = ["plain", "pad1", "stride-pad-dilation", "same-dilated", "valid-stride3", "no-bias"]


# ---------------------------------------------------------------- gradients
@pytest.mark.parametrize("kwargs", CONFIGS, ids=IDS)
def test_conv1d_gradients(kwargs, backend, rng):
    layer = minilstm.Conv1d(3, 4, 3, seed=0, dtype="float64", **kwargs)
    report = gradcheck(layer, rng.standard_normal((2, 9, 3)), max_entries=25)
    assert report.passed(1e-6), str(report)
    assert set(report.errors) == {"weight", "x"} | ({"bias"} if layer.bias else set())


# ---------------------------------------------------------------- parity with PyTorch
@pytest.mark.parametrize("kwargs", CONFIGS, ids=IDS)
def test_conv1d_matches_torch(kwargs, backend, rng):
    """Same values and gradients as torch.nn.Conv1d, its weights loaded as tensors; torch
    takes (B, C, T), so its input and output are transposed and ours are not."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    ref = torch.nn.Conv1d(3, 4, 3, dtype=torch.float64, **kwargs)
    ours = minilstm.Conv1d(3, 4, 3, dtype="float64", **kwargs)
    ours.load_state_dict(ref.state_dict())
    x = rng.standard_normal((2, 9, 3))                        # (B, T, C)
    xt = torch.tensor(x.transpose(0, 2, 1), requires_grad=True)  # (B, C, T)
    yt = ref(xt).transpose(1, 2)                              # back to (B, U, F)
    dy = rng.standard_normal(tuple(yt.shape))
    (yt * torch.tensor(dy)).sum().backward()

    y = ours(x)
    dx = ours.backward(dy)
    assert close(y, yt.detach().numpy(), "float64")
    assert close(dx, xt.grad.numpy().transpose(0, 2, 1), "float64")
    for name, p in ref.named_parameters():
        assert close(ours.grads[name], p.grad.numpy(), "float64"), name


def test_conv_feeds_an_lstm_with_no_transposes(backend, rng):
    """The hybrid of the articles: Conv1d -> ReLU -> LSTM(batch_first) -> Linear on the last
    step, chained by hand with no transposes, gives torch's loss gradients."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    t_conv = torch.nn.Conv1d(2, 5, 3, padding=1, dtype=torch.float64)
    t_lstm = torch.nn.LSTM(5, 4, batch_first=True, dtype=torch.float64)
    t_head = torch.nn.Linear(4, 1, dtype=torch.float64)
    conv, relu = minilstm.Conv1d(2, 5, 3, padding=1, dtype="float64"), minilstm.ReLU()
    lstm, head = minilstm.LSTM(5, 4, batch_first=True, dtype="float64"), minilstm.Linear(4, 1, dtype="float64")
    for ours, ref in ((conv, t_conv), (lstm, t_lstm), (head, t_head)):
        ours.load_state_dict(ref.state_dict())
    x = rng.standard_normal((3, 7, 2))
    xt = torch.tensor(x, requires_grad=True)
    out_t, _ = t_lstm(torch.relu(t_conv(xt.transpose(1, 2))).transpose(1, 2))
    t_head(out_t[:, -1]).sum().backward()

    out, _ = lstm(relu(conv(x)))
    y = head(out[:, -1, :])
    dout = minilstm.get_backend().zeros(tuple(out.shape), "float64")
    dout[:, -1, :] = head.backward(np.ones(tuple(y.shape)))
    dx = conv.backward(relu.backward(lstm.backward(dout)[0]))
    assert close(dx, xt.grad.numpy(), "float64")
    assert close(conv.grads["weight"], t_conv.weight.grad.numpy(), "float64")


def test_conv1d_state_dict_loads_into_torch(rng):
    torch = pytest.importorskip("torch")
    ours = minilstm.Conv1d(3, 2, 4, stride=2, seed=0, dtype="float64")
    ref = torch.nn.Conv1d(3, 2, 4, stride=2, dtype=torch.float64)
    ref.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    x = rng.standard_normal((2, 10, 3))
    expected = ref(torch.from_numpy(x).transpose(1, 2)).transpose(1, 2).detach().numpy()
    assert close(ours(x), expected, "float64")


# ---------------------------------------------------------------- behaviour
def test_conv1d_init_is_pytorchs_uniform():
    layer = minilstm.Conv1d(2, 3, 4, seed=5)
    expected = np.random.default_rng(5)  # weight first, then bias, both U(-1/sqrt(C*K), 1/sqrt(C*K))
    bound = 1 / np.sqrt(2 * 4)
    sd = layer.state_dict()
    np.testing.assert_array_equal(sd["weight"], expected.uniform(-bound, bound, (3, 2, 4)).astype(np.float32))
    np.testing.assert_array_equal(sd["bias"], expected.uniform(-bound, bound, (3,)).astype(np.float32))


@pytest.mark.parametrize("T,kwargs,U", [(10, {}, 8), (10, {"padding": 1}, 10), (10, {"padding": "same"}, 10),
                                        (10, {"stride": 2}, 4), (10, {"dilation": 4}, 2), (3, {}, 1)])
def test_conv1d_output_steps(T, kwargs, U, rng):
    layer = minilstm.Conv1d(1, 2, 3, seed=0, **kwargs)
    assert layer.output_steps(T) == U
    assert tuple(layer(rng.standard_normal((2, T, 1))).shape) == (2, U, 2)


def test_conv1d_keeps_dtype(backend, dtype, rng):
    layer = minilstm.Conv1d(2, 3, 2, seed=0, dtype=dtype)
    y = layer(rng.standard_normal((2, 5, 2)))
    dx = layer.backward(np.ones(tuple(y.shape)))
    assert {check_dtype(a.dtype) for a in (y, dx, *layer.grads.values())} == {dtype}


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("kwargs,error,match", [
    ({"kernel_size": 0}, ValueError, "kernel_size must be a positive int"),
    ({"stride": 0}, ValueError, "stride must be a positive int"),
    ({"dilation": 1.5}, TypeError, "dilation must be a positive int"),
    ({"padding": -1}, ValueError, "padding must be an int >= 0"),
    ({"padding": "full"}, ValueError, "padding must be one of"),
    ({"padding": "same", "stride": 2}, ValueError, "padding='same' needs stride=1"),
    ({"in_channels": 0}, ValueError, "in_channels must be a positive int"),
    ({"bias": 1}, TypeError, "bias must be True or False"),
], ids=["kernel", "stride", "dilation", "negative-padding", "padding-name", "same-strided", "channels", "bias"])
def test_conv1d_refuses_bad_arguments(kwargs, error, match):
    args = {"in_channels": 2, "out_channels": 3, "kernel_size": 3} | kwargs
    with pytest.raises(error, match=match):
        minilstm.Conv1d(**args)


def test_conv1d_refuses_2d_input():
    with pytest.raises(ValueError, match=r"x must be a batched 3-D array \(batch, time, channels\), got 2-D"):
        minilstm.Conv1d(2, 3, 3)(np.zeros((5, 2)))


def test_conv1d_refuses_wrong_channels():
    with pytest.raises(ValueError, match=r"in_channels=2 in its last axis .* got shape \(4, 5, 3\)$"):
        minilstm.Conv1d(2, 3, 3)(np.zeros((4, 5, 3)))


def test_conv1d_spots_torchs_channels_first_layout():
    with pytest.raises(ValueError, match=r"looks like PyTorch's \(batch, channels, time\)"):
        minilstm.Conv1d(2, 3, 3)(np.zeros((4, 2, 7)))


def test_conv1d_refuses_a_kernel_longer_than_the_padded_input():
    with pytest.raises(ValueError, match=r"kernel_size=3 with dilation=2 spans 5 steps, more than the padded "
                                         r"input's 4 \(x has T=2 steps, padding adds 2\)"):
        minilstm.Conv1d(1, 1, 3, dilation=2, padding=1)(np.zeros((1, 2, 1)))


def test_conv1d_refuses_wrong_dy_shape():
    layer = minilstm.Conv1d(2, 3, 3)
    layer(np.zeros((4, 6, 2)))
    with pytest.raises(ValueError, match=r"dy must have shape \(4, 4, 3\)"):
        layer.backward(np.zeros((4, 6, 3)))


def test_conv1d_backward_before_forward():
    with pytest.raises(RuntimeError, match=r"backward\(\) called before forward\(\)"):
        minilstm.Conv1d(2, 3, 3).backward(np.zeros((1, 1, 3)))


def test_conv1d_refuses_a_wrong_state_dict_shape():
    with pytest.raises(ValueError, match=r"state_dict\['weight'\] must have shape \(3, 2, 3\)"):
        minilstm.Conv1d(2, 3, 3).load_state_dict({"weight": np.zeros((3, 3, 2)), "bias": np.zeros(3)})
