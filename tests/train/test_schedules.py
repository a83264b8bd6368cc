"""Learning-rate schedules: values by hand, 20 epochs against torch.optim.lr_scheduler,
save/load continuation, and the bad-input contract."""
import math

import numpy as np
import pytest

from minilstm.optim import SGD
from minilstm.schedules import CosineAnnealingLR, ReduceLROnPlateau, StepLR, make_schedule

EPOCHS = 20
LOSSES = [1.0, 0.9, 0.8, 0.8, 0.8, 0.79999, 0.7, 0.7, 0.71, 0.7, 0.69, 0.69, 0.69, 0.69, 0.5,
          0.5, 0.5, 0.5, 0.5, 0.5]  # 0.79999 is within the 1e-4 threshold of 0.8: no improvement
ACCURACY = [0.1, 0.2, 0.2, 0.2, 0.3, 0.3, 0.3, 0.3, 0.3, 0.31, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3,
            0.4, 0.4, 0.4, 0.4]
# (name, kwargs, base lr, metrics or None): torch's class takes the same kwargs
CASES = [
    ("step", dict(step_size=3, gamma=0.5), 0.1, None),
    ("step", dict(step_size=1, gamma=0.9), 1e-3, None),
    ("cosine", dict(T_max=10), 0.1, None),  # 20 epochs: down to 0 and back up, as torch
    ("cosine", dict(T_max=7, eta_min=1e-3), 0.05, None),
    ("plateau", dict(patience=2, factor=0.5), 0.1, LOSSES),
    ("plateau", dict(patience=0, threshold=0.0), 0.1, LOSSES),
    ("plateau", dict(mode="max", patience=1, factor=0.3, threshold=0.05, min_lr=0.005), 0.1, ACCURACY),
    ("plateau", dict(patience=0), 1e-6, [1.0] * EPOCHS),  # stops near 1e-8: smaller cuts than eps skipped
]
TORCH = {"step": "StepLR", "cosine": "CosineAnnealingLR", "plateau": "ReduceLROnPlateau"}
by_case = pytest.mark.parametrize("name,kwargs,lr,metrics", CASES,
                                  ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])


def make(name, kwargs, lr):
    opt = SGD({"w": np.zeros(2)}, lr=lr)
    return opt, make_schedule(name, opt, **kwargs)


def lrs(opt, sched, metrics, epochs):
    """The optimizer's lr after each of ``epochs`` schedule steps."""
    out = []
    for e in range(epochs):
        sched.step(metrics[e]) if metrics else sched.step()
        out.append(opt.lr)
    return out


# ---------------------------------------------------------------------- by hand
def test_step_by_hand():
    opt = SGD({"w": np.zeros(1)}, lr=1.0)
    assert lrs(opt, StepLR(opt, step_size=2, gamma=0.5), None, 6) == [1.0, 0.5, 0.5, 0.25, 0.25, 0.125]


def test_cosine_by_hand():
    opt = SGD({"w": np.zeros(1)}, lr=1.0)
    c = math.cos(math.pi / 4)  # sqrt(2)/2
    expected = [(1 + c) / 2, 0.5, (1 - c) / 2, 0.0, (1 - c) / 2, 0.5, (1 + c) / 2, 1.0]
    assert lrs(opt, CosineAnnealingLR(opt, T_max=4), None, 8) == pytest.approx(expected, rel=1e-15, abs=1e-16)
    opt = SGD({"w": np.zeros(1)}, lr=1.0)
    assert lrs(opt, CosineAnnealingLR(opt, T_max=2, eta_min=0.5), None, 2) == pytest.approx([0.75, 0.5])


def test_plateau_by_hand():
    """patience 1: the second bad epoch in a row halves lr and starts the count again."""
    opt = SGD({"w": np.zeros(1)}, lr=1.0)
    sched = ReduceLROnPlateau(opt, factor=0.5, patience=1)
    assert lrs(opt, sched, [1, 2, 2, 0.5, 0.6, 0.7, 0.8], 7) == [1, 1, 0.5, 0.5, 0.5, 0.25, 0.25]
    assert (sched.best, sched.num_bad_epochs, sched.epoch) == (0.5, 1, 7)


def test_plateau_floor_and_eps_by_hand():
    opt = SGD({"w": np.zeros(1)}, lr=1.0)
    assert lrs(opt, ReduceLROnPlateau(opt, patience=0, min_lr=0.05), [1.0] * 4, 4) == [1.0, 0.1, 0.05, 0.05]
    opt = SGD({"w": np.zeros(1)}, lr=1e-7)
    sched = ReduceLROnPlateau(opt, patience=0)
    assert lrs(opt, sched, [1.0] * 3, 3) == pytest.approx([1e-7, 1e-8, 1e-8], rel=1e-15)  # 1e-8 -> 1e-9 < eps


# ---------------------------------------------------------------------- against PyTorch
@by_case
def test_matches_torch(name, kwargs, lr, metrics):
    torch = pytest.importorskip("torch")
    p = torch.zeros(1, requires_grad=True)
    ref_opt = torch.optim.SGD([p], lr=lr)
    ref = getattr(torch.optim.lr_scheduler, TORCH[name])(ref_opt, **kwargs)
    expected = []
    for e in range(EPOCHS):
        ref_opt.step()  # torch warns if the schedule steps before the optimizer
        ref.step(metrics[e]) if metrics else ref.step()
        expected.append(ref_opt.param_groups[0]["lr"])
    got = lrs(*make(name, kwargs, lr), metrics, EPOCHS)
    # torch chains multiplications where we use the closed form: equal to rounding of base lr
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12 * lr)
    if name == "plateau":
        assert got == expected  # the same arithmetic, step for step


# ---------------------------------------------------------------------- state
@by_case
def test_save_load_continues(name, kwargs, lr, metrics):
    whole = lrs(*make(name, kwargs, lr), metrics, EPOCHS)
    opt, sched = make(name, kwargs, lr)
    first = lrs(opt, sched, metrics, 7)
    saved_opt, saved = opt.state_dict(), sched.state_dict()
    assert all(isinstance(v, (int, float)) for v in saved.values())

    opt2, sched2 = make(name, kwargs, lr)
    opt2.load_state_dict(saved_opt)
    sched2.load_state_dict(saved)
    rest = lrs(opt2, sched2, metrics[7:] if metrics else None, EPOCHS - 7)
    assert first + rest == whole


def test_state_dict_keys():
    opt = SGD({"w": np.zeros(1)}, lr=0.1)
    assert StepLR(opt, 2).state_dict() == {"epoch": 0, "base_lr": 0.1}
    assert ReduceLROnPlateau(opt, mode="max").state_dict() == {"epoch": 0, "best": -math.inf, "num_bad_epochs": 0}


# ---------------------------------------------------------------------- bad input
def sgd():
    return SGD({"w": np.zeros(1)}, lr=0.1)


BAD = [  # (class, kwargs, error, message)
    (StepLR, dict(step_size=0), ValueError, r"step_size must be a positive int, got 0"),
    (StepLR, dict(step_size=1.5), TypeError, r"step_size must be a positive int, got float 1.5"),
    (StepLR, dict(step_size=2, gamma=0.0), ValueError, r"gamma must be a finite number > 0.0, got 0.0"),
    (StepLR, dict(step_size=2, gamma="0.1"), TypeError, r"gamma must be a real number, got str '0.1'"),
    (CosineAnnealingLR, dict(T_max=0), ValueError, r"T_max must be a positive int, got 0"),
    (CosineAnnealingLR, dict(T_max=5, eta_min=-0.1), ValueError, r"eta_min must be a finite number >= 0.0, got -0.1"),
    (ReduceLROnPlateau, dict(mode="avg"), ValueError, r"mode must be one of \('min', 'max'\), got 'avg'"),
    (ReduceLROnPlateau, dict(factor=1.0), ValueError, r"factor must be < 1 \(it reduces lr\), got 1.0"),
    (ReduceLROnPlateau, dict(factor=0.0), ValueError, r"factor must be a finite number > 0.0, got 0.0"),
    (ReduceLROnPlateau, dict(patience=-1), ValueError, r"patience must be an int >= 0, got -1"),
    (ReduceLROnPlateau, dict(patience=2.0), TypeError, r"patience must be an int >= 0, got float 2.0"),
    (ReduceLROnPlateau, dict(threshold=-1e-4), ValueError, r"threshold must be in \[0, 1\), got -0.0001"),
    (ReduceLROnPlateau, dict(min_lr=-1.0), ValueError, r"min_lr must be a finite number >= 0.0, got -1.0"),
    (ReduceLROnPlateau, dict(eps=-1.0), ValueError, r"eps must be a finite number >= 0.0, got -1.0"),
]


@pytest.mark.parametrize("cls,kwargs,err,match", BAD, ids=[m[:40] for *_, m in BAD])
def test_bad_arguments(cls, kwargs, err, match):
    with pytest.raises(err, match=match):
        cls(sgd(), **kwargs)


def test_not_an_optimizer():
    with pytest.raises(TypeError, match=r"optimizer must be a minilstm optimizer .*, got dict"):
        StepLR({"lr": 0.1}, 2)


def test_bad_metric():
    sched = ReduceLROnPlateau(sgd())
    with pytest.raises(TypeError, match=r"metric must be a real number, got NoneType None"):
        sched.step(None)
    assert sched.epoch == 0


def test_plateau_has_no_closed_form():
    with pytest.raises(NotImplementedError, match=r"ReduceLROnPlateau's lr depends on more than the epoch"):
        ReduceLROnPlateau(sgd()).lr_at(3)


def test_unknown_schedule():
    with pytest.raises(ValueError, match=r"schedule name must be one of \('step', 'cosine', 'plateau'\), got 'linear'"):
        make_schedule("linear", sgd())


@pytest.mark.parametrize("state,err,match", [
    ([], TypeError, r"state_dict must be a dict, got list"),
    ({"epoch": 1}, ValueError, r"state_dict does not match StepLR: missing keys \['base_lr'\], unexpected keys \[\]"),
    ({"epoch": 1, "base_lr": 0.1, "best": 0.0}, ValueError, r"missing keys \[\], unexpected keys \['best'\]"),
    ({"epoch": -1, "base_lr": 0.1}, ValueError, r"state_dict\['epoch'\] must be an int >= 0, got -1"),
    ({"epoch": 1, "base_lr": 0.0}, ValueError, r"state_dict\['base_lr'\] must be a finite number > 0.0, got 0.0"),
])
def test_bad_state_dict(state, err, match):
    sched = StepLR(sgd(), 2)
    with pytest.raises(err, match=match):
        sched.load_state_dict(state)
    assert sched.state_dict() == {"epoch": 0, "base_lr": 0.1}  # a failed load changes nothing


def test_bad_plateau_state_dict():
    sched = ReduceLROnPlateau(sgd())
    with pytest.raises(TypeError, match=r"state_dict\['best'\] must be a real number, got str 'x'"):
        sched.load_state_dict({"epoch": 1, "best": "x", "num_bad_epochs": 0})
    with pytest.raises(TypeError, match=r"state_dict\['num_bad_epochs'\] must be an int >= 0, got float 1.0"):
        sched.load_state_dict({"epoch": 1, "best": 0.5, "num_bad_epochs": 1.0})
