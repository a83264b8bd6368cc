"""The NumPy floor: one layer's training step and inference, each cell written out as one NumPy function.

``benchmarks/speed.py`` times these beside minilstm and PyTorch (the GRU's are in ``speed_floor_gru.py``,
with the same conventions). Each function computes what
``minilstm.LSTM(D, H)`` / ``minilstm.GRU(D, H)`` (reset_after, PyTorch's) / ``minilstm.PeepholeLSTM(D, H)``
computes for one layer with a zero initial state: the output sequence and, for training, ``dx`` and every
parameter gradient from the upstream gradient of each step's h (PyTorch's shapes and gate order). They
are straight-line NumPy with the tricks below and no layer, loop protocol or cache object, so what they
take is about the best a loop of NumPy calls does on the machine: minilstm's time over theirs is what
its structure costs; theirs over PyTorch's is what NumPy itself costs.

The tricks, each measured here (2-core AVX2 machine, OpenBLAS Haswell kernel, one thread):

- buffers and every per-step view made once per shape (the ``*_floor`` builders); no allocation in the
  loops, every ufunc writes with ``out=``;
- gates as a separate axis: what a step reads and writes elementwise is ``(T, G, B, H)`` (a step's gates
  one contiguous piece) and the gate gradients ``(G, T, B, H)`` (each gate's whole sequence one
  contiguous (T B, H) matrix for the weight-gradient GEMMs). NumPy's elementwise passes run 1.5 to 3
  times slower over a strided (B, 3H) slice of a (B, 4H) row than over contiguous memory: this took the
  LSTM's all-steps passes from 6.8 to 1.9 ms at T 200, B 16, H 64 and its step from 42 to 36 ms. The
  products become stacks of G GEMMs (``matmul`` with (G, ., H) weights), within 10 % of one (B, G H)
  product here; the input projection as T G small GEMMs straight into (T, G, B, H) was as fast as one
  big GEMM and made each step's add contiguous (another 8 % at H 64);
- the input projection of every step before the loop (one ``matmul`` call), the biases inside it (a
  column of ones beside x; the GRU's ``b_hh`` likewise beside h, so ``W_hn h + b_hn`` comes out of its
  product and ``db_hh`` out of ``dW_hh``'s); weight and bias gradients as GEMMs over all steps after
  the backward loop;
- gates reordered inside (LSTM ``o, i, f, g``; the GRU's input side ``n, r, z``) so that the sigmoid
  gates are one block: one sigmoid pass over them, as ``1 / (1 + exp(-a))`` with the minus folded into
  the weights. Float32 ``exp`` costs 2.9 ns an element here and ``tanh`` 4.5, but the LSTM's g as
  ``2 sigmoid(2a) - 1`` inside that pass (two more passes, one call fewer) measured the same within
  2 %, so candidates and tanh(c) use ``tanh``;
- the LSTM's ``i g + f c_prev`` as one product of ``[i f]`` with ``[g c_prev]`` (c is written as the next
  step's ``c_prev`` block) and one add; tanh(c) kept from the forward;
- the backward's factors (gate slopes from the saved outputs, times what multiplies them) for all steps
  at once after the forward, so a backward step is the upstream gradient times a stacked factor in one
  broadcast product, plus the recurrent products.

What did not pay, measured: the input projection folded into each step's product (``[x h 1]`` against
all the weights, which saves the projection and one add a step): the same within noise; the
projection as one (T B, G H) GEMM and a transposing copy into (T, G, B, H): 3 to 10 % slower. The
returned arrays are views of the builder's buffers, overwritten by the next call.
"""
from __future__ import annotations

import numpy as np

LSTM_ORDER = [3, 0, 1, 2]   # PyTorch's i, f, g, o -> o, i, f, g: the sigmoid gates first, g beside c
LSTM_BACK = [1, 2, 3, 0]    # and back


def _with_ones(shape: tuple, dtype) -> np.ndarray:
    """A zero buffer whose last column is ones (the bias's input)."""
    a = np.zeros(shape, dtype)
    a[..., -1] = 1.0
    return a


def lstm_train_floor(T: int, B: int, D: int, H: int, dtype=np.float32):
    """The LSTM's training step for one shape: ``step(x, dout, W_ih, W_hh, b_ih, b_hh)``.

    Returns a function of x (T, B, D), dout (T, B, H) and the parameters (PyTorch's shapes and gate
    order) that returns ``(out, dx, dW_ih, dW_hh, db_ih, db_hh)``, out (T, B, H) the hidden states.
    """
    return _lstm_train(T, B, D, H, dtype, peephole=False)


def peephole_train_floor(T: int, B: int, D: int, H: int, dtype=np.float32):
    """The peephole LSTM's training step: ``step(x, dout, W_ih, W_hh, b_ih, b_hh, p_i, p_f, p_o)``.

    The LSTM's step with ``p_i c_prev``, ``p_f c_prev`` in a_i, a_f and ``p_o c`` (the new c) in a_o;
    returns ``(out, dx, dW_ih, dW_hh, db_ih, db_hh, dp_i, dp_f, dp_o)``. Against the LSTM's floor a
    forward step has six calls more (its o has a sigmoid pass of its own, after c; one product
    ``c [p_o p_i p_f]`` gives a_o's term and, added into the next step's projection, a_i's and a_f's)
    and a backward step none: the peepholes only change two stacked factors, ``dc += dh (o
    (1 - tanh(c)^2) + p_o tanh(c) o')`` and ``dc_prev = dc (f + p_i g i' + p_f c_prev f')``. The
    peepholes are spread to a whole (3, B, H) array once per call: the product with c is then one
    contiguous pass, where a (3, 1, H) operand took 1.4 times as long (the step: 0 to 5 % faster).
    """
    return _lstm_train(T, B, D, H, dtype, peephole=True)


def _lstm_train(T: int, B: int, D: int, H: int, dtype, peephole: bool):
    sign = np.array([-1, -1, -1, 1], dtype)[:, None, None]   # o, i, f get -a: exp(-a) in one pass
    X1 = _with_ones((T * B, D + 1), dtype)                     # [x 1]: the projection adds the biases
    Wih, WihT = np.empty((4, H, D), dtype), np.empty((4, D + 1, H), dtype)
    Whh, WhhT = np.empty((4, H, H), dtype), np.empty((4, H, H), dtype)
    XW = np.empty((T + 1, 4, B, H), dtype)  # a row more: the last peephole step adds into it, unread
    A = np.zeros((T + 1, 5, B, H), dtype)   # o, i, f, g, c_prev of every step; c_0 = 0
    Hs = np.zeros((T + 1, B, H), dtype)      # h_0 = 0, then every step's h
    TC = np.empty((T, B, H), dtype)          # tanh(c)
    rec, prod = np.empty((4, B, H), dtype), np.empty((2, B, H), dtype)
    S = np.empty((T, 3, B, H), dtype)        # slopes of o, i, f
    UV = np.empty((T, 2, B, H), dtype)       # dh's factors: o (1 - tanh(c)^2) into dc, tanh(c) o' into da_o
    Q = np.empty((T, 3, B, H), dtype)        # dc's factors: g i', c_prev f', i (1 - g^2) into da_i, da_f, da_g
    DA = np.empty((5, T, B, H), dtype)       # dc from dh, da_o, da_i, da_f, da_g (gate-major: the GEMMs')
    DAg = DA[1:].reshape(4, T * B, H)
    dh, dh_rec, dc = np.empty((B, H), dtype), np.empty((B, H), dtype), np.empty((B, H), dtype)
    dWaug, dWhh = np.empty((4, H, D + 1), dtype), np.empty((4, H, H), dtype)
    dx4, dx = np.empty((4, T * B, D), dtype), np.empty((T * B, D), dtype)
    dW_ih, dW_hh = np.empty((4 * H, D), dtype), np.empty((4 * H, H), dtype)
    db_ih, db_hh = np.empty(4 * H, dtype), np.empty(4 * H, dtype)
    # the peephole's: -[p_o p_i p_f] (sign folded), c times it, dc_prev's factor, dp's products and sums
    P3, pc = np.empty((3, B, H), dtype), np.empty((3, B, H), dtype)  # P3 whole: see peephole_train_floor
    F = np.empty((T, B, H), dtype) if peephole else A[:T, 2]   # dc_prev = dc F: F = f without peepholes
    PQ, PP, dP = np.empty((T, 2, B, H), dtype), np.empty((3, T, B, H), dtype), np.empty((3, H), dtype)
    fwd = [(Hs[t], XW[t], A[t, :4], A[t, 1:3] if peephole else A[t, :3], A[t, 3], A[t, 1:3], A[t, 3:],
            A[t + 1, 4], TC[t], A[t, 0], Hs[t + 1], XW[t + 1, 1:3]) for t in range(T)]
    bwd = [(UV[t], DA[:2, t], DA[0, t], Q[t], DA[2:, t], F[t], DA[1:, t]) for t in reversed(range(T))]

    def forward():
        for h_prev, xw, a, sig, g, i_f, g_c, c, tc, o, h, _ in fwd:
            np.matmul(h_prev, WhhT, out=rec)
            np.add(xw, rec, out=a)
            np.exp(sig, out=sig)                             # o, i, f = 1 / (1 + exp(-a))
            np.add(sig, 1.0, out=sig)
            np.divide(1.0, sig, out=sig)
            np.tanh(g, out=g)                                # g = tanh(a)
            np.multiply(i_f, g_c, out=prod)                  # [i g, f c_prev]
            np.add(prod[0], prod[1], out=c)                  # c = i g + f c_prev
            np.tanh(c, out=tc)
            np.multiply(o, tc, out=h)                        # h = o tanh(c)

    def forward_peephole():
        for h_prev, xw, a, i_f, g, _, g_c, c, tc, o, h, xw_if_next in fwd:
            np.matmul(h_prev, WhhT, out=rec)
            np.add(xw, rec, out=a)                           # xw's i, f hold -p c_prev already
            np.exp(i_f, out=i_f)                             # i, f = 1 / (1 + exp(-a))
            np.add(i_f, 1.0, out=i_f)
            np.divide(1.0, i_f, out=i_f)
            np.tanh(g, out=g)
            np.multiply(i_f, g_c, out=prod)
            np.add(prod[0], prod[1], out=c)                  # c = i g + f c_prev
            np.multiply(c, P3, out=pc)                       # -[p_o p_i p_f] c
            np.add(o, pc[0], out=o)                          # o sees the new c
            np.add(xw_if_next, pc[1:], out=xw_if_next)       # the next step's i, f see it as c_prev
            np.exp(o, out=o)
            np.add(o, 1.0, out=o)
            np.divide(1.0, o, out=o)
            np.tanh(c, out=tc)
            np.multiply(o, tc, out=h)

    def step(x, dout, W_ih, W_hh, b_ih, b_hh, *peeps):
        np.take(W_ih.reshape(4, H, D), LSTM_ORDER, axis=0, out=Wih)
        np.take(W_hh.reshape(4, H, H), LSTM_ORDER, axis=0, out=Whh)
        np.multiply(Wih.transpose(0, 2, 1), sign, out=WihT[:, :D])
        np.multiply((b_ih + b_hh).reshape(4, 1, H)[LSTM_ORDER], sign, out=WihT[:, D:])
        np.multiply(Whh.transpose(0, 2, 1), sign, out=WhhT)
        np.copyto(X1[:, :D], x.reshape(T * B, D))
        np.matmul(X1.reshape(T, 1, B, D + 1), WihT, out=XW[:T])  # every step's W_ih x + b, gate by gate
        if peephole:
            p_i, p_f, p_o = peeps
            np.negative(np.stack([p_o, p_i, p_f])[:, None], out=P3)
        with np.errstate(over="ignore"):                         # exp(-a) = inf is sigmoid 0, as it should be
            forward_peephole() if peephole else forward()
        # the backward's factors, every step at once, from the saved outputs
        o_all, i_all, g_all, g_c_all = A[:T, 0], A[:T, 1], A[:T, 3], A[:T, 3:]
        np.subtract(1.0, A[:T, :3], out=S)
        np.multiply(S, A[:T, :3], out=S)                         # s (1 - s) for o, i, f
        np.multiply(TC, TC, out=UV[:, 0])
        np.subtract(1.0, UV[:, 0], out=UV[:, 0])
        np.multiply(UV[:, 0], o_all, out=UV[:, 0])               # dc += dh o (1 - tanh(c)^2)
        np.multiply(TC, S[:, 0], out=UV[:, 1])                   # da_o = dh tanh(c) o'
        np.multiply(S[:, 1:], g_c_all, out=Q[:, :2])             # da_i = dc g i', da_f = dc c_prev f'
        np.multiply(g_all, g_all, out=Q[:, 2])
        np.subtract(1.0, Q[:, 2], out=Q[:, 2])
        np.multiply(Q[:, 2], i_all, out=Q[:, 2])                 # da_g = dc i (1 - g^2)
        if peephole:
            np.multiply(UV[:, 1], p_o, out=PQ[:, 0])
            np.add(UV[:, 0], PQ[:, 0], out=UV[:, 0])             # dc += dh (... + p_o tanh(c) o'): a_o saw c
            np.multiply(Q[:, :2], np.stack([p_i, p_f])[:, None], out=PQ)
            np.add(PQ[:, 0], PQ[:, 1], out=F)
            np.add(F, A[:T, 2], out=F)                           # dc_prev = dc (f + p_i g i' + p_f c_prev f')
        dh_rec.fill(0.0)
        dc.fill(0.0)
        for (uv, dcz_dao, dcz, q, d_ifg, f, da), d in zip(bwd, dout[::-1]):
            np.add(d, dh_rec, out=dh)
            np.multiply(dh, uv, out=dcz_dao)
            np.add(dc, dcz, out=dc)
            np.multiply(dc, q, out=d_ifg)
            np.multiply(dc, f, out=dc)                           # dc_prev = dc f
            np.matmul(da, Whh, out=rec)
            np.sum(rec, axis=0, out=dh_rec)                      # dh_prev = sum over gates of da W_hh
        np.matmul(DAg.transpose(0, 2, 1), X1, out=dWaug)         # [dW_ih db] per gate
        np.matmul(DAg.transpose(0, 2, 1), Hs[:T].reshape(T * B, H), out=dWhh)
        np.matmul(DAg, Wih, out=dx4)
        np.sum(dx4, axis=0, out=dx)
        np.take(dWaug[:, :, :D], LSTM_BACK, axis=0, out=dW_ih.reshape(4, H, D))
        np.take(dWaug[:, :, D], LSTM_BACK, axis=0, out=db_ih.reshape(4, H))
        np.take(dWhh, LSTM_BACK, axis=0, out=dW_hh.reshape(4, H, H))
        np.copyto(db_hh, db_ih)
        grads = dx.reshape(T, B, D), dW_ih, dW_hh, db_ih, db_hh
        if not peephole:
            return Hs[1:], *grads
        np.multiply(DA[1], A[1:, 4], out=PP[0])                  # dp_o = sum of da_o c
        np.multiply(DA[2:4], A[:T, 4], out=PP[1:])               # dp_i, dp_f = sums of da_i c_prev, da_f c_prev
        np.sum(PP.reshape(3, T * B, H), axis=1, out=dP)
        return Hs[1:], *grads, dP[1], dP[2], dP[0]
    return step


def lstm_infer_floor(T: int, B: int, D: int, H: int, dtype=np.float32):
    """The LSTM's inference for one shape: ``forward(x, W_ih, W_hh, b_ih, b_hh)`` returns out (T, B, H)."""
    return _lstm_infer(T, B, D, H, dtype, peephole=False)


def peephole_infer_floor(T: int, B: int, D: int, H: int, dtype=np.float32):
    """The peephole LSTM's inference: ``forward(x, W_ih, W_hh, b_ih, b_hh, p_i, p_f, p_o)``, out (T, B, H)."""
    return _lstm_infer(T, B, D, H, dtype, peephole=True)


def _lstm_infer(T: int, B: int, D: int, H: int, dtype, peephole: bool):
    sign = np.array([-1, -1, -1, 1], dtype)[:, None, None]
    X1 = _with_ones((T * B, D + 1), dtype)
    WihT, WhhT = np.empty((4, D + 1, H), dtype), np.empty((4, H, H), dtype)
    XW = np.empty((T + 1, 4, B, H), dtype)
    A = np.empty((5, B, H), dtype)           # o, i, f, g, c: c overwrites c_prev once [i f] [g c_prev] is taken
    out, h0 = np.empty((T, B, H), dtype), np.zeros((B, H), dtype)
    rec, prod, tc = np.empty((4, B, H), dtype), np.empty((2, B, H), dtype), np.empty((B, H), dtype)
    P3, pc = np.empty((3, B, H), dtype), np.empty((3, B, H), dtype)  # P3 whole: see peephole_train_floor
    a, sig, g, i_f, g_c, c, o = A[:4], A[:3], A[3], A[1:3], A[3:], A[4], A[0]
    fwd = [(h_prev, XW[t], out[t], XW[t + 1, 1:3]) for t, h_prev in enumerate([h0, *out[:-1]])]

    def forward(x, W_ih, W_hh, b_ih, b_hh, *peeps):
        np.multiply(W_ih.reshape(4, H, D)[LSTM_ORDER].transpose(0, 2, 1), sign, out=WihT[:, :D])
        np.multiply((b_ih + b_hh).reshape(4, 1, H)[LSTM_ORDER], sign, out=WihT[:, D:])
        np.multiply(W_hh.reshape(4, H, H)[LSTM_ORDER].transpose(0, 2, 1), sign, out=WhhT)
        np.copyto(X1[:, :D], x.reshape(T * B, D))
        np.matmul(X1.reshape(T, 1, B, D + 1), WihT, out=XW[:T])
        c.fill(0.0)
        with np.errstate(over="ignore"):
            if not peephole:
                for h_prev, xw, h, _ in fwd:
                    np.matmul(h_prev, WhhT, out=rec)
                    np.add(xw, rec, out=a)
                    np.exp(sig, out=sig)
                    np.add(sig, 1.0, out=sig)
                    np.divide(1.0, sig, out=sig)
                    np.tanh(g, out=g)
                    np.multiply(i_f, g_c, out=prod)
                    np.add(prod[0], prod[1], out=c)
                    np.tanh(c, out=tc)
                    np.multiply(o, tc, out=h)
                return out
            p_i, p_f, p_o = peeps
            np.negative(np.stack([p_o, p_i, p_f])[:, None], out=P3)
            for h_prev, xw, h, xw_if_next in fwd:           # as the training floor's forward_peephole
                np.matmul(h_prev, WhhT, out=rec)
                np.add(xw, rec, out=a)
                np.exp(i_f, out=i_f)
                np.add(i_f, 1.0, out=i_f)
                np.divide(1.0, i_f, out=i_f)
                np.tanh(g, out=g)
                np.multiply(i_f, g_c, out=prod)
                np.add(prod[0], prod[1], out=c)
                np.multiply(c, P3, out=pc)
                np.add(o, pc[0], out=o)
                np.add(xw_if_next, pc[1:], out=xw_if_next)
                np.exp(o, out=o)
                np.add(o, 1.0, out=o)
                np.divide(1.0, o, out=o)
                np.tanh(c, out=tc)
                np.multiply(o, tc, out=h)
        return out
    return forward
