"""The bad-input contract of the recurrent layers.

Every public entry point checks what it is given and raises a ValueError or
TypeError that names the argument, what was expected and what was given (a
backward before any forward is a RuntimeError that says so), never an error
from deep inside the array maths. Each test asserts the type and the message.
"""
import re

import numpy as np
import pytest

import minilstm
from minilstm import GRU, LSTM, RNN, PeepholeLSTM

CLASSES = [RNN, LSTM, GRU, PeepholeLSTM]
LSTMS = [LSTM, PeepholeLSTM]
SINGLE_STATE = [RNN, GRU]
T, B, D, H = 4, 2, 3, 5  # T != B, so a transposed sequence is caught

by_name = pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)


def seq(shape=(T, B, D), dtype=np.float64):
    return np.random.default_rng(0).standard_normal(shape).astype(dtype)


def with_h(layer, h):
    """A state whose ``h`` is ``h`` (and whose ``c``, for an LSTM, is right)."""
    if len(layer.cell.state_names) == 1:
        return h
    return h, np.zeros((layer.num_layers * layer.num_directions, B, H))


def ran(cls, **kwargs):
    """A layer that has run forward on ``seq()``."""
    layer = cls(D, H, seed=0, **kwargs)
    layer.forward(seq((B, T, D) if layer.batch_first else (T, B, D)))
    return layer


# ---------------------------------------------------------------------- constructors
SIZES = [(True, TypeError, "got bool True"), (0, ValueError, "got 0"), (-1, ValueError, "got -1"),
         (2.5, TypeError, "got float 2.5"), ("3", TypeError, "got str '3'")]


@by_name
@pytest.mark.parametrize("arg", ["input_size", "hidden_size", "num_layers"])
@pytest.mark.parametrize("value,err,given", SIZES, ids=[repr(s[0]) for s in SIZES])
def test_size_must_be_a_positive_int(cls, arg, value, err, given):
    kwargs = {"input_size": D, "hidden_size": H, arg: value}
    with pytest.raises(err, match=rf"{arg} must be a positive int, {re.escape(given)}"):
        cls(**kwargs)


DROPOUTS = [(-0.1, ValueError, "got -0.1"), (1.0, ValueError, "got 1.0"), (1.5, ValueError, "got 1.5"),
            ("0.5", TypeError, "got str '0.5'"), (True, TypeError, "got bool True")]


@by_name
@pytest.mark.parametrize("value,err,given", DROPOUTS, ids=[repr(s[0]) for s in DROPOUTS])
def test_dropout_must_be_in_0_1(cls, value, err, given):
    with pytest.raises(err, match=rf"dropout must be .*\[0, 1\), {re.escape(given)}"):
        cls(D, H, num_layers=2, dropout=value)


@by_name
@pytest.mark.parametrize("arg", ["bias", "batch_first", "bidirectional"])
@pytest.mark.parametrize("value,given", [(1, "int 1"), ("yes", "str 'yes'"), (None, "NoneType None")])
def test_flag_must_be_a_bool(cls, arg, value, given):
    with pytest.raises(TypeError, match=rf"{arg} must be True or False, got {given}"):
        cls(D, H, **{arg: value})


def test_rnn_nonlinearity_must_be_tanh_or_relu():
    with pytest.raises(ValueError, match=r"nonlinearity must be one of \('tanh', 'relu'\), got 'sigmoid'"):
        RNN(D, H, nonlinearity="sigmoid")


def test_gru_reset_after_must_be_a_bool():
    with pytest.raises(TypeError, match=r"reset_after must be True or False, got str 'yes'"):
        GRU(D, H, reset_after="yes")


@by_name
def test_unknown_keyword_is_refused(cls):
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'bidirectonal'"):
        cls(D, H, bidirectonal=True)


@pytest.mark.parametrize("cls", SINGLE_STATE, ids=lambda c: c.__name__)
def test_forget_bias_is_for_lstms_only(cls):
    with pytest.raises(TypeError, match=rf"{cls.__name__} got an unexpected keyword argument 'forget_bias'.*got 2.0"):
        cls(D, H, forget_bias=2.0)


def test_gru_takes_no_nonlinearity():
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'nonlinearity'"):
        GRU(D, H, nonlinearity="relu")


@pytest.mark.parametrize("cls", LSTMS, ids=lambda c: c.__name__)
def test_forget_bias_must_be_a_number(cls):
    with pytest.raises(TypeError, match=r"forget_bias must be a real number, got str '1'"):
        cls(D, H, forget_bias="1")


@pytest.mark.parametrize("seed,err,given", [("a", TypeError, "got str 'a'"), (1.5, TypeError, "got float 1.5"),
                                            (-1, ValueError, "got int -1")])
def test_seed_must_be_an_int_or_generator(seed, err, given):
    with pytest.raises(err, match=rf"seed must be None, a non-negative int or a NumPy Generator, {given}"):
        LSTM(D, H, seed=seed)


def test_train_mode_must_be_a_bool():
    with pytest.raises(TypeError, match=r"mode must be True or False, got int 1"):
        LSTM(D, H).train(1)


# ---------------------------------------------------------------------- forward: x
@by_name
def test_2d_x_must_be_batched(cls):
    with pytest.raises(ValueError, match=r"x must be a batched 3-D array \(time, batch, features\), "
                                         r"got 2-D shape \(4, 3\) \(add a batch axis of size 1\)"):
        cls(D, H)(seq((T, D)))


def test_2d_x_message_follows_batch_first():
    with pytest.raises(ValueError, match=r"x must be a batched 3-D array \(batch, time, features\), got 2-D"):
        LSTM(D, H, batch_first=True)(seq((T, D)))


@by_name
def test_4d_x_is_refused(cls):
    with pytest.raises(ValueError, match=r"x must be a batched 3-D array .*got 4-D shape \(1, 4, 2, 3\)"):
        cls(D, H)(seq((1, T, B, D)))


@by_name
def test_x_must_have_input_size_features(cls):
    with pytest.raises(ValueError, match=r"x must have 3 features \(input_size\) in its last axis, "
                                         r"got shape \(4, 2, 7\)"):
        cls(D, H)(seq((T, B, 7)))


@by_name
def test_empty_time_axis_is_refused(cls):
    with pytest.raises(ValueError, match=r"x must have at least one time step .*got shape \(0, 2, 3\)"):
        cls(D, H)(np.zeros((0, B, D)))


def test_empty_batch_is_refused():
    with pytest.raises(ValueError, match=r"x must have at least one time step and one sequence, got shape \(4, 0, 3\)"):
        GRU(D, H)(np.zeros((T, 0, D)))


@by_name
@pytest.mark.parametrize("x,given", [(np.ones((T, B, D), dtype=np.int64), "dtype int64"),
                                     (np.full((T, B, D), "a"), "dtype <U1"),
                                     (np.ones((T, B, D), dtype=bool), "dtype bool"),
                                     (np.ones((T, B, D), dtype=complex), "dtype complex128")],
                         ids=["int", "str", "bool", "complex"])
def test_x_must_hold_floats(cls, x, given):
    with pytest.raises(TypeError, match=rf"x must hold floating-point numbers, got {re.escape(given)}"):
        cls(D, H)(x)


@by_name
@pytest.mark.parametrize("x,given", [(None, "None"), ("abc", "str"), ({}, "dict")], ids=["None", "str", "dict"])
def test_x_must_be_an_array(cls, x, given):
    with pytest.raises(TypeError, match=rf"x must be an array of floats, got {given}"):
        cls(D, H)(x)


def test_ragged_list_x_is_refused():
    with pytest.raises(ValueError, match=r"x must be a rectangular array, got a ragged nested list"):
        LSTM(1, H)([[[1.0]], [[1.0], [2.0]]])


def test_x_of_another_library_is_refused():
    aas = pytest.importorskip("array_api_strict")
    with pytest.raises(TypeError, match=r"x must be a NumPy array, a nested list or an array of the active "
                                        r"backend 'numpy', got a array_api_strict\..*Array"):
        LSTM(D, H)(aas.asarray(seq()))


def test_layer_used_under_another_backend_is_refused():
    aas = pytest.importorskip("array_api_strict")
    layer = LSTM(D, H)
    with minilstm.backend_scope(aas), pytest.raises(
            RuntimeError, match=r"LSTM's parameters are numpy\.ndarray arrays but the active backend "
                                r"is 'array_api_strict'"):
        layer(seq())


def test_native_integer_x_is_refused_on_every_backend(backend):
    x = backend.xp.ones((T, B, D), dtype=backend.xp.int32)
    with pytest.raises(TypeError, match=r"x must hold floating-point numbers, got dtype .*int32"):
        GRU(D, H)(x)


# ---------------------------------------------------------------------- forward: state
@pytest.mark.parametrize("cls", LSTMS, ids=lambda c: c.__name__)
def test_lstm_state_must_be_a_tuple(cls):
    with pytest.raises(TypeError, match=rf"state must be a tuple \(h, c\) of 2 arrays .* for {cls.__name__}, "
                                        r"got ndarray"):
        cls(D, H)(seq(), np.zeros((1, B, H)))


@pytest.mark.parametrize("cls", LSTMS, ids=lambda c: c.__name__)
def test_lstm_state_must_have_two_parts(cls):
    with pytest.raises(TypeError, match=r"state must be a tuple \(h, c\) of 2 arrays .*got a tuple of 3"):
        cls(D, H)(seq(), (np.zeros((1, B, H)),) * 3)


@pytest.mark.parametrize("cls", SINGLE_STATE, ids=lambda c: c.__name__)
def test_single_state_must_not_be_a_tuple(cls):
    with pytest.raises(TypeError, match=rf"state must be one array \(L\*K, B, H\) for {cls.__name__}, "
                                        r"not a tuple, got a tuple of 2"):
        cls(D, H)(seq(), (np.zeros((1, B, H)),) * 2)


@pytest.mark.parametrize("cls", LSTMS, ids=lambda c: c.__name__)
def test_lstm_state_of_wrong_type_is_refused(cls):
    with pytest.raises(TypeError, match=r"state must be a tuple \(h, c\) of 2 arrays .*got str"):
        cls(D, H)(seq(), "hc")


@by_name
def test_state_batch_must_match_x(cls):
    layer = cls(D, H)
    with pytest.raises(ValueError, match=r"state( h)? must have shape \(1, 2, 5\) \(num_layers \* num_directions=1, "
                                         r"batch=2, hidden_size=5\), got \(1, 3, 5\)"):
        layer(seq(), with_h(layer, np.zeros((1, 3, H))))


@by_name
def test_state_hidden_size_must_match(cls):
    layer = cls(D, H)
    with pytest.raises(ValueError, match=r"state( h)? must have shape \(1, 2, 5\) .*hidden_size=5\), got \(1, 2, 4\)"):
        layer(seq(), with_h(layer, np.zeros((1, B, 4))))


@by_name
def test_state_layer_count_must_match(cls):
    layer = cls(D, H, num_layers=2, bidirectional=True)
    with pytest.raises(ValueError, match=r"state( h)? must have shape \(4, 2, 5\) \(num_layers \* num_directions=4, "
                                         r".*got \(2, 2, 5\)"):
        layer(seq(), with_h(layer, np.zeros((2, B, H))))


@pytest.mark.parametrize("cls", LSTMS, ids=lambda c: c.__name__)
def test_lstm_cell_state_shape_is_checked(cls):
    with pytest.raises(ValueError, match=r"state c must have shape \(1, 2, 5\) .*got \(1, 2, 6\)"):
        cls(D, H)(seq(), (np.zeros((1, B, H)), np.zeros((1, B, 6))))


@by_name
def test_state_must_hold_floats(cls):
    layer = cls(D, H)
    with pytest.raises(TypeError, match=r"state( h)? must hold floating-point numbers, got dtype int64"):
        layer(seq(), with_h(layer, np.zeros((1, B, H), dtype=np.int64)))


@by_name
def test_batch_first_mismatch_shows_in_the_state(cls):
    # a time-major x given to a batch_first layer reads as batch T: the state's batch B no longer fits
    layer = cls(D, H, batch_first=True)
    with pytest.raises(ValueError, match=r"state( h)? must have shape \(1, 4, 5\) .*batch=4.*got \(1, 2, 5\)"):
        layer(seq((T, B, D)), with_h(layer, np.zeros((1, B, H))))


# ---------------------------------------------------------------------- backward
@by_name
def test_backward_before_forward(cls):
    with pytest.raises(RuntimeError, match=rf"{cls.__name__}\.backward\(\) called before forward\(\)"):
        cls(D, H).backward(np.zeros((T, B, H)))


@by_name
def test_dout_transposed_is_refused(cls):
    with pytest.raises(ValueError, match=r"dout must have shape \(4, 2, 5\) \(forward's output, "
                                         r"\(time, batch, features\)\), got \(2, 4, 5\)"):
        ran(cls).backward(np.zeros((B, T, H)))


def test_dout_shape_is_reported_in_the_batch_first_layout():
    # a time-major dout for a batch_first layer: the message shows the user's shapes, not the permuted ones
    with pytest.raises(ValueError, match=r"dout must have shape \(2, 4, 5\) \(forward's output, "
                                         r"\(batch, time, features\)\), got \(4, 2, 5\)"):
        ran(LSTM, batch_first=True).backward(np.zeros((T, B, H)))


@by_name
def test_dout_hidden_size_must_match(cls):
    with pytest.raises(ValueError, match=r"dout must have 10 features \(num_directions \* hidden_size\) "
                                         r"in its last axis, got shape \(4, 2, 5\)"):
        ran(cls, bidirectional=True).backward(np.zeros((T, B, H)))


@by_name
def test_dout_must_be_3d(cls):
    with pytest.raises(ValueError, match=r"dout must be a batched 3-D array .*got 2-D shape \(4, 5\)"):
        ran(cls).backward(np.zeros((T, H)))


@by_name
def test_dout_must_hold_floats(cls):
    with pytest.raises(TypeError, match=r"dout must hold floating-point numbers, got dtype int64"):
        ran(cls).backward(np.zeros((T, B, H), dtype=np.int64))


@by_name
def test_dstate_shape_must_match(cls):
    layer = ran(cls)
    with pytest.raises(ValueError, match=r"dstate( h)? must have shape \(1, 2, 5\) .*got \(1, 3, 5\)"):
        layer.backward(np.zeros((T, B, H)), with_h(layer, np.zeros((1, 3, H))))


@pytest.mark.parametrize("cls", LSTMS, ids=lambda c: c.__name__)
def test_lstm_dstate_must_be_a_tuple(cls):
    with pytest.raises(TypeError, match=r"dstate must be a tuple \(h, c\) of 2 arrays .*got ndarray"):
        ran(cls).backward(np.zeros((T, B, H)), np.zeros((1, B, H)))


@pytest.mark.parametrize("cls", SINGLE_STATE, ids=lambda c: c.__name__)
def test_single_dstate_must_not_be_a_tuple(cls):
    with pytest.raises(TypeError, match=r"dstate must be one array \(L\*K, B, H\) .*got a tuple of 1"):
        ran(cls).backward(np.zeros((T, B, H)), (np.zeros((1, B, H)),))


# ---------------------------------------------------------------------- load_state_dict
@by_name
def test_state_dict_missing_key(cls):
    layer = cls(D, H)
    sd = layer.state_dict()
    del sd["weight_hh_l0"]
    with pytest.raises(ValueError, match=rf"state_dict does not match {cls.__name__}: "
                                         r"missing keys \['weight_hh_l0'\], unexpected keys \[\]"):
        layer.load_state_dict(sd)


@by_name
def test_state_dict_extra_key(cls):
    layer = cls(D, H)
    sd = layer.state_dict()
    sd["weight_ih_l1"], sd[0] = sd["weight_ih_l0"], sd["weight_ih_l0"]
    with pytest.raises(ValueError, match=r"missing keys \[\], unexpected keys \[0, 'weight_ih_l1'\]"):
        layer.load_state_dict(sd)


@by_name
def test_state_dict_wrong_shape(cls):
    layer = cls(D, H)
    sd = layer.state_dict()
    sd["weight_ih_l0"] = sd["weight_ih_l0"].T
    G = len(layer.cell.gates)
    with pytest.raises(ValueError, match=rf"state_dict\['weight_ih_l0'\] must have shape \({G * H}, 3\) "
                                         rf"\(the shape of {cls.__name__}\.params\['weight_ih_l0'\]\), "
                                         rf"got \(3, {G * H}\)"):
        layer.load_state_dict(sd)


@pytest.mark.parametrize("value,err,given", [
    (np.ones(5, dtype=np.int64), TypeError, "must hold floating-point numbers, got dtype int64"),
    ("abc", TypeError, "must be an array of floats, got str"),
    (None, TypeError, "must be an array of floats, got None")], ids=["int", "str", "None"])
def test_state_dict_values_must_be_floats(value, err, given):
    layer = RNN(D, H)
    sd = {**layer.state_dict(), "bias_hh_l0": value}
    with pytest.raises(err, match=rf"state_dict\['bias_hh_l0'\] {re.escape(given)}"):
        layer.load_state_dict(sd)


@pytest.mark.parametrize("value,given", [([1.0], "list"), (None, "NoneType")])
def test_state_dict_must_be_a_dict(value, given):
    with pytest.raises(TypeError, match=rf"state_dict must be a dict, got {given}"):
        LSTM(D, H).load_state_dict(value)


def test_failed_load_leaves_the_parameters_alone():
    layer, other = GRU(D, H, seed=0), GRU(D, H, seed=1)
    before = layer.state_dict()
    sd = other.state_dict()
    sd["bias_hh_l0"] = sd["bias_hh_l0"][:-1]  # last key in order: every other one was already read
    with pytest.raises(ValueError, match=r"state_dict\['bias_hh_l0'\] must have shape \(15,\)"):
        layer.load_state_dict(sd)
    for k, v in layer.state_dict().items():
        np.testing.assert_array_equal(v, before[k])
