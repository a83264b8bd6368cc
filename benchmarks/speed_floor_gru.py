"""The NumPy floor of the GRU (reset_after, PyTorch's): its training step and inference as NumPy functions.

The GRU's half of :mod:`speed_floor` (which describes the floor, its tricks and what each measured to
give); the same conventions: buffers made once per shape, a separate gate axis, the biases inside the
products (``b_hh`` beside h, so ``W_hn h + b_hn`` comes out of the recurrent product), r and z in one
sigmoid pass with the minus folded into the weights. A measurement tool: only ``speed.py`` imports it.
"""
from __future__ import annotations

import numpy as np
from speed_floor import _with_ones

GRU_IH_ORDER = [2, 0, 1]    # r, z, n -> n, r, z on the input side: [da_n da_r da_z da_n*r] side by side
GRU_IH_BACK = [1, 2, 0]


def _weights_and_projection(x, W_ih, W_hh, b_ih, b_hh, Wih, WihT, WhhT, X1, XW) -> None:
    """The weights into the floor's layout (input side n, r, z; r and z negated, so one exp pass makes
    their sigmoid), then every step's input projection ``[x 1] [W_ih b_ih]^T`` into ``XW`` (T, 3, B, H)."""
    T, B, D = x.shape
    H = W_hh.shape[1]
    sign_ih = np.array([1, -1, -1], x.dtype)[:, None, None]   # n, r, z: r and z get -a
    sign_hh = np.array([-1, -1, 1], x.dtype)[:, None, None]   # r, z, n
    np.take(W_ih.reshape(3, H, D), GRU_IH_ORDER, axis=0, out=Wih)
    np.multiply(Wih.transpose(0, 2, 1), sign_ih, out=WihT[:, :D])
    np.multiply(b_ih.reshape(3, 1, H)[GRU_IH_ORDER], sign_ih, out=WihT[:, D:])
    np.multiply(W_hh.reshape(3, H, H).transpose(0, 2, 1), sign_hh, out=WhhT[:, :H])
    np.multiply(b_hh.reshape(3, 1, H), sign_hh, out=WhhT[:, H:])
    np.copyto(X1[:, :D], x.reshape(T * B, D))
    np.matmul(X1.reshape(T, 1, B, D + 1), WihT, out=XW)


def gru_train_floor(T: int, B: int, D: int, H: int, dtype=np.float32):
    """The GRU's (reset_after) training step for one shape: ``step(x, dout, W_ih, W_hh, b_ih, b_hh)``.

    Returns ``(out, dx, dW_ih, dW_hh, db_ih, db_hh)`` as :func:`lstm_train_floor` does.
    """
    X1 = _with_ones((T * B, D + 1), dtype)
    Hs = _with_ones((T + 1, B, H + 1), dtype)  # [h 1]: the recurrent product adds b_hh (b_hn inside r (...))
    Wih, WihT = np.empty((3, H, D), dtype), np.empty((3, D + 1, H), dtype)
    WhhT = np.empty((3, H + 1, H), dtype)
    XW = np.empty((T, 3, B, H), dtype)          # n, r, z
    HH = np.empty((T, 3, B, H), dtype)          # r, z, n: W_h h + b_hh; its n block is hn, kept
    RZ, N, Dn = np.empty((T, 2, B, H), dtype), np.empty((T, B, H), dtype), np.empty((T, B, H), dtype)  # Dn: h_prev - n
    zd = np.empty((B, H), dtype)
    S, S2 = np.empty((T, B, H), dtype), np.empty((T, B, H), dtype)
    P = np.empty((T, 5, B, H), dtype)           # dh's factors for da_n, da_r, da_z, da_n r and dh z
    DA = np.empty((5, T, B, H), dtype)          # gate-major: the GEMMs'
    DAi, DAh = DA[:3].reshape(3, T * B, H), DA[1:4].reshape(3, T * B, H)  # n r z: W_ih, dx; r z (n r): W_hh
    dh, dh_rec, rec = np.empty((B, H), dtype), np.empty((B, H), dtype), np.empty((3, B, H), dtype)
    dWiaug, dWhaug = np.empty((3, H, D + 1), dtype), np.empty((3, H, H + 1), dtype)
    dx3, dx = np.empty((3, T * B, D), dtype), np.empty((T * B, D), dtype)
    dW_ih, dW_hh = np.empty((3 * H, D), dtype), np.empty((3 * H, H), dtype)
    db_ih, db_hh = np.empty(3 * H, dtype), np.empty(3 * H, dtype)
    fwd = [(Hs[t], HH[t], XW[t, 1:], HH[t, :2], RZ[t], RZ[t, 0], RZ[t, 1], HH[t, 2], N[t], XW[t, 0],
            Hs[t, :, :H], Dn[t], Hs[t + 1, :, :H]) for t in range(T)]
    bwd = [(P[t], DA[:, t], DA[1:4, t], DA[4, t]) for t in reversed(range(T))]
    R, Z, HN = RZ[:, 0], RZ[:, 1], HH[:, 2]

    def step(x, dout, W_ih, W_hh, b_ih, b_hh):
        _weights_and_projection(x, W_ih, W_hh, b_ih, b_hh, Wih, WihT, WhhT, X1, XW)
        with np.errstate(over="ignore"):
            for h_prev1, hh, xrz, hrz, rz, r, z, hn, n, xn, h_prev, diff, h in fwd:
                np.matmul(h_prev1, WhhT, out=hh)
                np.add(xrz, hrz, out=rz)
                np.exp(rz, out=rz)                       # r, z = 1 / (1 + exp(-a))
                np.add(rz, 1.0, out=rz)
                np.divide(1.0, rz, out=rz)
                np.multiply(r, hn, out=n)
                np.add(n, xn, out=n)
                np.tanh(n, out=n)                        # n = tanh(W_in x + b_in + r (W_hn h + b_hn))
                np.subtract(h_prev, n, out=diff)
                np.multiply(z, diff, out=zd)
                np.add(n, zd, out=h)                     # h = n + z (h_prev - n)
        # the backward's factors, every step at once
        np.multiply(N, N, out=S)
        np.subtract(1.0, S, out=S)                       # 1 - n^2
        np.subtract(1.0, Z, out=S2)                      # 1 - z
        np.multiply(S, S2, out=P[:, 0])                  # da_n = dh (1 - z) (1 - n^2)
        np.multiply(P[:, 0], R, out=P[:, 3])             # dhn = da_n r
        np.subtract(1.0, R, out=S)
        np.multiply(S, R, out=S)
        np.multiply(S, HN, out=S)
        np.multiply(S, P[:, 0], out=P[:, 1])             # da_r = da_n hn r (1 - r)
        np.multiply(S2, Z, out=S2)
        np.multiply(S2, Dn, out=P[:, 2])                 # da_z = dh (h_prev - n) z (1 - z)
        np.copyto(P[:, 4], Z)                            # dh_prev = dh z + ...
        Whh = W_hh.reshape(3, H, H)                      # r, z, n blocks
        dh_rec.fill(0.0)
        for (p, da, dah, dhz), d in zip(bwd, dout[::-1]):
            np.add(d, dh_rec, out=dh)
            np.multiply(dh, p, out=da)
            np.matmul(dah, Whh, out=rec)
            np.sum(rec, axis=0, out=dh_rec)
            np.add(dh_rec, dhz, out=dh_rec)              # ... + [da_r da_z da_n r] W_hh
        np.matmul(DAi.transpose(0, 2, 1), X1, out=dWiaug)
        np.matmul(DAh.transpose(0, 2, 1), Hs[:T].reshape(T * B, H + 1), out=dWhaug)
        np.matmul(DAi, Wih, out=dx3)
        np.sum(dx3, axis=0, out=dx)
        np.take(dWiaug[:, :, :D], GRU_IH_BACK, axis=0, out=dW_ih.reshape(3, H, D))
        np.take(dWiaug[:, :, D], GRU_IH_BACK, axis=0, out=db_ih.reshape(3, H))
        np.copyto(dW_hh.reshape(3, H, H), dWhaug[:, :, :H])
        np.copyto(db_hh.reshape(3, H), dWhaug[:, :, H])
        return Hs[1:, :, :H], dx.reshape(T, B, D), dW_ih, dW_hh, db_ih, db_hh
    return step


def gru_infer_floor(T: int, B: int, D: int, H: int, dtype=np.float32):
    """The GRU's inference for one shape: ``forward(x, W_ih, W_hh, b_ih, b_hh)`` returns out (T, B, H)."""
    X1 = _with_ones((T * B, D + 1), dtype)
    Hs = _with_ones((T + 1, B, H + 1), dtype)
    Wih, WihT, WhhT = np.empty((3, H, D), dtype), np.empty((3, D + 1, H), dtype), np.empty((3, H + 1, H), dtype)
    XW = np.empty((T, 3, B, H), dtype)
    hh, rz = np.empty((3, B, H), dtype), np.empty((2, B, H), dtype)
    n, d = np.empty((B, H), dtype), np.empty((B, H), dtype)
    hrz, hn, r, z = hh[:2], hh[2], rz[0], rz[1]
    fwd = [(Hs[t], XW[t, 1:], XW[t, 0], Hs[t, :, :H], Hs[t + 1, :, :H]) for t in range(T)]

    def forward(x, W_ih, W_hh, b_ih, b_hh):
        _weights_and_projection(x, W_ih, W_hh, b_ih, b_hh, Wih, WihT, WhhT, X1, XW)
        with np.errstate(over="ignore"):
            for h_prev1, xrz, xn, h_prev, h in fwd:
                np.matmul(h_prev1, WhhT, out=hh)
                np.add(xrz, hrz, out=rz)
                np.exp(rz, out=rz)
                np.add(rz, 1.0, out=rz)
                np.divide(1.0, rz, out=rz)
                np.multiply(r, hn, out=n)
                np.add(n, xn, out=n)
                np.tanh(n, out=n)
                np.subtract(h_prev, n, out=d)
                np.multiply(z, d, out=d)
                np.add(n, d, out=h)
        return Hs[1:, :, :H]
    return forward
