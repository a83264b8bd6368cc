"""The NumPy floor: one layer's training step and inference, each cell written out as one NumPy function.

``benchmarks/speed.py`` times these beside minilstm and PyTorch. Each function computes what
``minilstm.LSTM(D, H)`` / ``minilstm.GRU(D, H)`` (reset_after, PyTorch's) computes for one layer with a
zero initial state: the output sequence and, for training, ``dx`` and every parameter gradient from the
upstream gradient of each step's h (PyTorch's gate order and keys). They are straight-line NumPy with
every trick a loop of NumPy calls allows and no layer, loop protocol or cache object, so what they take
is the best a loop of NumPy calls does on the machine: minilstm's time over theirs is what its
structure costs; theirs over PyTorch's is what NumPy itself costs.

The tricks (each measured to help here, or to cost nothing):

- buffers and per-step views made once per shape (the ``*_floor`` builders); no allocation in the loops;
- the input projection of every step as one GEMM before the loop, the biases inside it (a column of
  ones beside x; the GRU's ``b_hh`` likewise beside h, so ``W_hn h + b_hn`` comes out of the product);
  the weight and bias gradients as GEMMs over all steps after the backward loop, ``dx`` as one GEMM;
- gates reordered inside (LSTM ``o, i, f, g``; the GRU's input side ``n, r, z``) so that the sigmoid
  gates are one contiguous block: one sigmoid pass over them, as ``1 / (1 + exp(-a))`` with the minus
  folded into the weights (float32 ``exp`` measures 2.9 ns an element here, ``tanh`` 4.5: a tanh as
  ``2 sigmoid(2a) - 1`` needs two more passes than it saves, so the candidate gates use ``tanh``);
- the LSTM's ``i g + f c_prev`` as one product of ``[i f]`` with ``[g c_prev]`` (c is written into the
  next step's gate row) and one add; tanh(c) kept from the forward;
- the backward's per-step factors (gate slopes from the outputs, times what multiplies them) computed
  for all steps at once after the forward, so each backward step is the upstream gradient times a
  stacked (B, k, H) factor in one broadcast product, plus the recurrent product.

The returned arrays are views of the builder's buffers, overwritten by the next call.
"""
from __future__ import annotations

import numpy as np


def _rows(blocks: tuple, H: int) -> np.ndarray:
    """Row indices that put PyTorch's gate blocks (numbered in its order) into ``blocks``' order."""
    return np.concatenate([np.arange(k * H, (k + 1) * H) for k in blocks])


def _with_ones(shape: tuple, dtype) -> np.ndarray:
    """A buffer whose last column is ones (the bias's input), the rest to be written."""
    a = np.empty(shape, dtype)
    a[..., -1] = 1.0
    return a


LSTM_ORDER = (3, 0, 1, 2)   # PyTorch's i, f, g, o -> o, i, f, g: the sigmoid gates first, g last
GRU_IH_ORDER = (2, 0, 1)    # r, z, n -> n, r, z on the input side: [da_n da_r da_z da_n*r] share a buffer


def lstm_train_floor(T: int, B: int, D: int, H: int, dtype=np.float32):
    """The LSTM's training step for one shape: ``step(x, dout, W_ih, W_hh, b_ih, b_hh)``.

    Returns a function of x (T, B, D), dout (T, B, H) and the parameters (PyTorch's shapes and gate
    order) that returns ``(out, dx, dW_ih, dW_hh, db_ih, db_hh)``, out (T, B, H) the hidden states.
    """
    rows = _rows(LSTM_ORDER, H)
    back = np.argsort(rows)
    sign = np.r_[-np.ones(3 * H), np.ones(H)].astype(dtype)  # sigmoid gates get -a: exp(-a) in one pass
    X1 = _with_ones((T * B, D + 1), dtype)                  # [x 1]: the projection adds the biases
    WihT, Wih = np.empty((D + 1, 4 * H), dtype), np.empty((4 * H, D), dtype)
    WhhT, Whh = np.empty((H, 4 * H), dtype), np.empty((4 * H, H), dtype)
    XW = np.empty((T, B, 4 * H), dtype)
    A = np.zeros((T + 1, B, 5 * H), dtype)       # per step [o i f g c_prev]; c_0 = 0, c_t in row t's c_prev
    Hs = np.zeros((T + 1, B, H), dtype)           # h_0 = 0, then every step's h
    TC = np.empty((T, B, H), dtype)               # tanh(c)
    rec, prod = np.empty((B, 4 * H), dtype), np.empty((B, 2 * H), dtype)
    S = np.empty((T, B, 3 * H), dtype)            # slopes of o, i, f
    UV = np.empty((T, B, 2, H), dtype)            # [o (1 - tanh(c)^2), tanh(c) o']: dh's factors
    Q = np.empty((T, B, 3, H), dtype)             # [g i', c_prev f', i (1 - g^2)]: dc's factors
    DA = np.empty((T, B, 5, H), dtype)            # per step [dc from dh, da_o, da_i, da_f, da_g]
    DAg = DA.reshape(T * B, 5 * H)[:, H:]         # (TB, 4H): the gate gradients, for the GEMMs
    dh, dh_rec, dc = np.empty((B, H), dtype), np.empty((B, H), dtype), np.empty((B, H), dtype)
    dWaug, dWhh = np.empty((4 * H, D + 1), dtype), np.empty((4 * H, H), dtype)
    dx = np.empty((T * B, D), dtype)
    dW_ih, dW_hh = np.empty((4 * H, D), dtype), np.empty((4 * H, H), dtype)
    db_ih, db_hh = np.empty(4 * H, dtype), np.empty(4 * H, dtype)
    fwd = [(Hs[t], XW[t], A[t, :, :4 * H], A[t, :, :3 * H], A[t, :, 3 * H:4 * H], A[t, :, H:3 * H],
            A[t, :, 3 * H:], A[t + 1, :, 4 * H:], TC[t], A[t, :, :H], Hs[t + 1]) for t in range(T)]
    bwd = [(UV[t], DA[t, :, :2], DA[t, :, 0], Q[t], DA[t, :, 2:], A[t, :, 2 * H:3 * H], DAg[t * B:(t + 1) * B])
           for t in reversed(range(T))]
    o_all, i_all, g_all = A[:T, :, :H], A[:T, :, H:2 * H], A[:T, :, 3 * H:4 * H]   # (T, B, H) each
    dh3, dc3 = dh[:, None, :], dc[:, None, :]

    def step(x, dout, W_ih, W_hh, b_ih, b_hh):
        np.take(W_ih, rows, axis=0, out=Wih)
        np.take(W_hh, rows, axis=0, out=Whh)
        np.multiply(Wih.T, sign, out=WihT[:D])
        np.multiply(np.take(b_ih + b_hh, rows), sign, out=WihT[D])
        np.multiply(Whh.T, sign, out=WhhT)
        np.copyto(X1[:, :D], x.reshape(T * B, D))
        np.matmul(X1, WihT, out=XW.reshape(T * B, 4 * H))    # every step's W_ih x + b, at once
        with np.errstate(over="ignore"):                      # exp(-a) = inf is sigmoid 0, as it should be
            for h_prev, xw, a, sig, g, i_f, g_c, c, tc, o, h in fwd:
                np.matmul(h_prev, WhhT, out=rec)
                np.add(xw, rec, out=a)
                np.exp(sig, out=sig)                          # o, i, f = 1 / (1 + exp(-a))
                np.add(sig, 1.0, out=sig)
                np.divide(1.0, sig, out=sig)
                np.tanh(g, out=g)                             # g = tanh(a)
                np.multiply(i_f, g_c, out=prod)               # [i g, f c_prev]
                np.add(prod[:, :H], prod[:, H:], out=c)       # c = i g + f c_prev
                np.tanh(c, out=tc)
                np.multiply(o, tc, out=h)                     # h = o tanh(c)
        # the backward's factors, every step at once: slopes from the saved outputs
        np.subtract(1.0, A[:T, :, :3 * H], out=S)
        np.multiply(S, A[:T, :, :3 * H], out=S)               # s (1 - s) for o, i, f
        np.multiply(TC, TC, out=UV[:, :, 0])
        np.subtract(1.0, UV[:, :, 0], out=UV[:, :, 0])
        np.multiply(UV[:, :, 0], o_all, out=UV[:, :, 0])          # dc += dh o (1 - tanh(c)^2)
        np.multiply(TC, S[..., :H], out=UV[:, :, 1])          # da_o = dh tanh(c) o'
        np.multiply(S[..., H:].reshape(T, B, 2, H), A[:T, :, 3 * H:].reshape(T, B, 2, H), out=Q[:, :, :2])
        np.multiply(g_all, g_all, out=Q[:, :, 2])             # da_i = dc g i', da_f = dc c_prev f'
        np.subtract(1.0, Q[:, :, 2], out=Q[:, :, 2])
        np.multiply(Q[:, :, 2], i_all, out=Q[:, :, 2])            # da_g = dc i (1 - g^2)
        dh_rec.fill(0.0)
        dc.fill(0.0)
        for (uv, dcz_dao, dcz, q, d_ifg, f, da), d in zip(bwd, dout[::-1]):
            np.add(d, dh_rec, out=dh)
            np.multiply(dh3, uv, out=dcz_dao)
            np.add(dc, dcz, out=dc)
            np.multiply(dc3, q, out=d_ifg)
            np.multiply(dc, f, out=dc)                        # dc_prev = dc f
            np.matmul(da, Whh, out=dh_rec)                    # dh_prev = da W_hh
        np.matmul(DAg.T, X1, out=dWaug)                       # [dW_ih db]
        np.matmul(DAg.T, Hs[:T].reshape(T * B, H), out=dWhh)
        np.matmul(DAg, Wih, out=dx)
        np.take(dWaug[:, :D], back, axis=0, out=dW_ih)
        np.take(dWaug[:, D], back, out=db_ih)
        np.take(dWhh, back, axis=0, out=dW_hh)
        np.copyto(db_hh, db_ih)
        return Hs[1:], dx.reshape(T, B, D), dW_ih, dW_hh, db_ih, db_hh
    return step


def lstm_infer_floor(T: int, B: int, D: int, H: int, dtype=np.float32):
    """The LSTM's inference for one shape: ``forward(x, W_ih, W_hh, b_ih, b_hh)`` returns out (T, B, H)."""
    rows = _rows(LSTM_ORDER, H)
    sign = np.r_[-np.ones(3 * H), np.ones(H)].astype(dtype)
    X1 = _with_ones((T * B, D + 1), dtype)
    WihT, WhhT = np.empty((D + 1, 4 * H), dtype), np.empty((H, 4 * H), dtype)
    XW = np.empty((T, B, 4 * H), dtype)
    A = np.empty((B, 5 * H), dtype)               # [o i f g c]: c overwrites c_prev once [i f] [g c_prev] is taken
    out, h0 = np.empty((T, B, H), dtype), np.zeros((B, H), dtype)
    rec, prod, tc = np.empty((B, 4 * H), dtype), np.empty((B, 2 * H), dtype), np.empty((B, H), dtype)
    a, sig, g, i_f, g_c, c, o = A[:, :4 * H], A[:, :3 * H], A[:, 3 * H:4 * H], A[:, H:3 * H], A[:, 3 * H:], \
        A[:, 4 * H:], A[:, :H]
    prod_i, prod_f = prod[:, :H], prod[:, H:]
    fwd = list(zip([h0, *out[:-1]], XW, out))

    def forward(x, W_ih, W_hh, b_ih, b_hh):
        np.multiply(np.take(W_ih, rows, axis=0).T, sign, out=WihT[:D])
        np.multiply(np.take(b_ih + b_hh, rows), sign, out=WihT[D])
        np.multiply(np.take(W_hh, rows, axis=0).T, sign, out=WhhT)
        np.copyto(X1[:, :D], x.reshape(T * B, D))
        np.matmul(X1, WihT, out=XW.reshape(T * B, 4 * H))
        c.fill(0.0)
        with np.errstate(over="ignore"):
            for h_prev, xw, h in fwd:
                np.matmul(h_prev, WhhT, out=rec)
                np.add(xw, rec, out=a)
                np.exp(sig, out=sig)
                np.add(sig, 1.0, out=sig)
                np.divide(1.0, sig, out=sig)
                np.tanh(g, out=g)
                np.multiply(i_f, g_c, out=prod)
                np.add(prod_i, prod_f, out=c)
                np.tanh(c, out=tc)
                np.multiply(o, tc, out=h)
        return out
    return forward


def gru_train_floor(T: int, B: int, D: int, H: int, dtype=np.float32):
    """The GRU's (reset_after) training step for one shape: ``step(x, dout, W_ih, W_hh, b_ih, b_hh)``.

    Returns ``(out, dx, dW_ih, dW_hh, db_ih, db_hh)`` as :func:`lstm_train_floor` does.
    """
    rows = _rows(GRU_IH_ORDER, H)
    back = np.argsort(rows)
    sign_ih = np.r_[np.ones(H), -np.ones(2 * H)].astype(dtype)   # n, r, z: r and z get -a
    sign_hh = np.r_[-np.ones(2 * H), np.ones(H)].astype(dtype)   # r, z, n
    X1 = _with_ones((T * B, D + 1), dtype)
    Hs = _with_ones((T + 1, B, H + 1), dtype)     # [h 1]: the recurrent product adds b_hh (b_hn inside r (...))
    Hs[0, :, :H] = 0.0
    WihT, Wih = np.empty((D + 1, 3 * H), dtype), np.empty((3 * H, D), dtype)
    WhhT = np.empty((H + 1, 3 * H), dtype)
    XW = np.empty((T, B, 3 * H), dtype)           # n, r, z
    HH = np.empty((T, B, 3 * H), dtype)           # r, z, n: W_h h + b_hh; its n block is hn, kept
    RZ, N, Dn = np.empty((T, B, 2 * H), dtype), np.empty((T, B, H), dtype), np.empty((T, B, H), dtype)
    tmp = np.empty((B, H), dtype)
    S, S2 = np.empty((T, B, H), dtype), np.empty((T, B, H), dtype)
    P = np.empty((T, B, 5, H), dtype)             # dh's factors for [da_n, da_r, da_z, da_n r, dh z]
    DA = np.empty((T, B, 5, H), dtype)
    DA2 = DA.reshape(T * B, 5 * H)
    DAi, DAh = DA2[:, :3 * H], DA2[:, H:4 * H]    # n r z for W_ih and dx; r z (n r) for W_hh and dh_prev
    dh, dh_rec = np.empty((B, H), dtype), np.empty((B, H), dtype)
    dWiaug, dWhaug = np.empty((3 * H, D + 1), dtype), np.empty((3 * H, H + 1), dtype)
    dx, dW_ih, db_ih = np.empty((T * B, D), dtype), np.empty((3 * H, D), dtype), np.empty(3 * H, dtype)
    fwd = [(Hs[t], HH[t], XW[t, :, H:], HH[t, :, :2 * H], RZ[t], RZ[t, :, :H], RZ[t, :, H:], HH[t, :, 2 * H:],
            N[t], XW[t, :, :H], Hs[t, :, :H], Dn[t], Hs[t + 1, :, :H]) for t in range(T)]
    bwd = [(P[t], DA[t], DAh[t * B:(t + 1) * B], DA[t, :, 4]) for t in reversed(range(T))]
    R, Z, HN = RZ[..., :H], RZ[..., H:], HH[..., 2 * H:]
    dh3 = dh[:, None, :]

    def step(x, dout, W_ih, W_hh, b_ih, b_hh):
        np.take(W_ih, rows, axis=0, out=Wih)
        np.multiply(Wih.T, sign_ih, out=WihT[:D])
        np.multiply(np.take(b_ih, rows), sign_ih, out=WihT[D])
        np.multiply(W_hh.T, sign_hh, out=WhhT[:H])
        np.multiply(b_hh, sign_hh, out=WhhT[H])
        np.copyto(X1[:, :D], x.reshape(T * B, D))
        np.matmul(X1, WihT, out=XW.reshape(T * B, 3 * H))
        with np.errstate(over="ignore"):
            for h_prev1, hh, xrz, hrz, rz, r, z, hn, n, xn, h_prev, d, h in fwd:
                np.matmul(h_prev1, WhhT, out=hh)
                np.add(xrz, hrz, out=rz)
                np.exp(rz, out=rz)                    # r, z = 1 / (1 + exp(-a))
                np.add(rz, 1.0, out=rz)
                np.divide(1.0, rz, out=rz)
                np.multiply(r, hn, out=n)
                np.add(n, xn, out=n)
                np.tanh(n, out=n)                     # n = tanh(W_in x + b_in + r (W_hn h + b_hn))
                np.subtract(h_prev, n, out=d)
                np.multiply(z, d, out=tmp)
                np.add(n, tmp, out=h)                 # h = n + z (h_prev - n)
        # the backward's factors, every step at once
        np.multiply(N, N, out=S)
        np.subtract(1.0, S, out=S)                    # 1 - n^2
        np.subtract(1.0, Z, out=S2)                   # 1 - z
        np.multiply(S, S2, out=P[:, :, 0])            # da_n = dh (1 - z) (1 - n^2)
        np.multiply(P[:, :, 0], R, out=P[:, :, 3])    # dhn = da_n r
        np.subtract(1.0, R, out=S)
        np.multiply(S, R, out=S)
        np.multiply(S, HN, out=S)
        np.multiply(S, P[:, :, 0], out=P[:, :, 1])    # da_r = da_n hn r (1 - r)
        np.multiply(S2, Z, out=S2)
        np.multiply(S2, Dn, out=P[:, :, 2])           # da_z = dh (h_prev - n) z (1 - z)
        np.copyto(P[:, :, 4], Z)                      # dh_prev = dh z + ...
        dh_rec.fill(0.0)
        for (p, da, dah, dhz), d in zip(bwd, dout[::-1]):
            np.add(d, dh_rec, out=dh)
            np.multiply(dh3, p, out=da)
            np.matmul(dah, W_hh, out=dh_rec)
            np.add(dh_rec, dhz, out=dh_rec)           # ... + [da_r da_z da_n r] W_hh
        np.matmul(DAi.T, X1, out=dWiaug)
        np.matmul(DAh.T, Hs[:T].reshape(T * B, H + 1), out=dWhaug)
        np.matmul(DAi, Wih, out=dx)
        np.take(dWiaug[:, :D], back, axis=0, out=dW_ih)
        np.take(dWiaug[:, D], back, out=db_ih)
        return Hs[1:, :, :H], dx.reshape(T, B, D), dW_ih, dWhaug[:, :H], db_ih, dWhaug[:, H]
    return step


def gru_infer_floor(T: int, B: int, D: int, H: int, dtype=np.float32):
    """The GRU's inference for one shape: ``forward(x, W_ih, W_hh, b_ih, b_hh)`` returns out (T, B, H)."""
    rows = _rows(GRU_IH_ORDER, H)
    sign_ih = np.r_[np.ones(H), -np.ones(2 * H)].astype(dtype)
    sign_hh = np.r_[-np.ones(2 * H), np.ones(H)].astype(dtype)
    X1 = _with_ones((T * B, D + 1), dtype)
    Hs = _with_ones((T + 1, B, H + 1), dtype)
    Hs[0, :, :H] = 0.0
    WihT, WhhT = np.empty((D + 1, 3 * H), dtype), np.empty((H + 1, 3 * H), dtype)
    XW = np.empty((T, B, 3 * H), dtype)
    hh, rz, n, d = np.empty((B, 3 * H), dtype), np.empty((B, 2 * H), dtype), np.empty((B, H), dtype), \
        np.empty((B, H), dtype)
    hrz, hn, r, z = hh[:, :2 * H], hh[:, 2 * H:], rz[:, :H], rz[:, H:]
    fwd = [(Hs[t], XW[t, :, H:], XW[t, :, :H], Hs[t, :, :H], Hs[t + 1, :, :H]) for t in range(T)]

    def forward(x, W_ih, W_hh, b_ih, b_hh):
        np.multiply(np.take(W_ih, rows, axis=0).T, sign_ih, out=WihT[:D])
        np.multiply(np.take(b_ih, rows), sign_ih, out=WihT[D])
        np.multiply(W_hh.T, sign_hh, out=WhhT[:H])
        np.multiply(b_hh, sign_hh, out=WhhT[H])
        np.copyto(X1[:, :D], x.reshape(T * B, D))
        np.matmul(X1, WihT, out=XW.reshape(T * B, 3 * H))
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
