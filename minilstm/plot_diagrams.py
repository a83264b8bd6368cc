"""Cell diagrams in the manner of Olah's "Understanding LSTM Networks", drawn from a cell's own options.

``cell_diagram(cell)`` draws one step of an RNN, LSTM (with peepholes and Greff et al.'s variants: an absent
gate is not drawn) or GRU (either reset form): the gates (sigmoid boxes), the candidate and output
nonlinearities (tanh boxes), the pointwise operations (circles), the states entering from the left and
leaving on the right, and the step's equations under it. ``gradient=True`` draws the same graph with every
arrow reversed, as the step backward walks it, and marks the path a gradient takes without a weight matrix
or a squashing derivative on it (the LSTM's cell-state highway, the GRU's ``z * h_prev`` path). Re-exported by
:mod:`minilstm.plot`; matplotlib is needed only when drawing.
"""
from __future__ import annotations

from typing import Any, NamedTuple

from . import validate
from .cells import VARIANTS, GRUStep, LSTMStep, LSTMVariantStep, RNNStep
from .figures import pyplot

GATE, TANH, OP = "gate", "tanh", "op"   # a sigmoid gate (box), a tanh block (box), a pointwise operation
MAT = "mat"                              # a matrix product (box), where its place in the flow matters
PEEP = "peephole"                        # an edge's style: a peephole connection, dashed


class Node(NamedTuple):
    x: float
    y: float
    text: str
    kind: str          # GATE, TANH or OP
    gate: str = ""     # the cell's gate letter it draws ("" for the rest)


class Diagram(NamedTuple):
    nodes: dict        # name -> Node
    edges: list        # (from, to[, PEEP]): node or entry names, or (x, y) points; forward direction
    highway: list      # the edges of the path a gradient crosses with no weight matrix on it
    equations: list    # mathtext lines of the step forward
    backward: list     # mathtext lines of the step backward's state gradients
    entries: dict      # state or input name -> (x, y) where it enters or leaves, with its label


def step_of(cell: Any) -> Any:
    """The step pair inside ``cell``: a cell module, a layer or a step pair itself; a TypeError otherwise."""
    step = getattr(cell, "cell", cell)
    if not isinstance(step, (RNNStep, LSTMStep, LSTMVariantStep, GRUStep)):
        raise TypeError("cell must be an RNN, LSTM, PeepholeLSTM or GRU (a cell, a layer or its step pair), "
                        f"got {type(cell).__name__}")
    return step


def _rnn(step: Any) -> Diagram:
    phi = step.nonlinearity
    nodes = {"h": Node(5.0, 3.0, phi, TANH, "h")}
    edges = [("h_prev", (5.0, 1.0)), ("x", (2.0, 1.0)), ((5.0, 1.0), "h"), ("h", "h_out")]
    eq = [rf"$h_t = \mathrm{{{phi}}}(W_{{ih}} x_t + b_{{ih}} + W_{{hh}} h_{{t-1}} + b_{{hh}})$"]
    entries = {"h_prev": (0.3, 1.0, r"$h_{t-1}$"), "x": (2.0, -0.2, r"$x_t$"), "h_out": (9.7, 3.0, r"$h_t$")}
    back = [rf"$\partial h_{{t-1}} = W_{{hh}}^\top (\mathrm{{{phi}}}'(a_t) \odot \partial h_t)$"
            "   every step back crosses W_hh and the derivative: no highway"]
    return Diagram(nodes, edges, [], eq, back, entries)


def _lstm(step: Any) -> Diagram:
    gates = step.gates
    coupled = getattr(step, "coupled", False)
    act_in = getattr(step, "input_activation", True)
    act_out = getattr(step, "output_activation", True)
    nodes = {"xf": Node(2.6, 5.0, r"$\times$", OP), "plus": Node(4.6, 5.0, "+", OP),
             "xi": Node(4.6, 4.0, r"$\times$", OP), "g": Node(5.2, 2.6, "tanh" if act_in else "id", TANH, "g"),
             "tc": Node(7.6, 4.0, "tanh" if act_out else "id", TANH), "xo": Node(7.6, 2.6, r"$\times$", OP)}
    edges = [("c_prev", "xf"), ("xf", "plus"), ("plus", "c_out"), ((7.6, 5.0), "tc"), ("tc", "xo"),
             ("xi", "plus"), ("g", "xi"), ((5.2, 1.0), "g"), ("h_prev", (6.6, 1.0)), ("x", (1.3, 1.0)),
             ("xo", (7.6, 1.0)), ((7.6, 1.0), "h_out")]
    if "f" in gates:
        nodes["f"] = Node(2.6, 2.6, r"$\sigma$  f", GATE, "f")
        edges += [((2.6, 1.0), "f"), ("f", "xf")]
    if "i" in gates:
        nodes["i"] = Node(3.9, 2.6, r"$\sigma$  i", GATE, "i")
        edges += [((3.9, 1.0), "i"), ("i", "xi")]
    elif coupled:
        nodes["i"] = Node(3.9, 2.6, "1 - f", OP)
        edges += [("f", "i"), ("i", "xi")]
    if "o" in gates:
        nodes["o"] = Node(6.6, 2.6, r"$\sigma$  o", GATE, "o")
        edges += [((6.6, 1.0), "o"), ("o", "xo")]
    if getattr(step, "peephole", False):   # i and f see c_(t-1), o sees c_t: dashed
        edges += [((1.6, 5.0), k, PEEP) for k in ("i", "f") if k in gates]
        edges += [((6.0, 5.0), "o", PEEP)] if "o" in gates else []
    eq = _lstm_equations(gates, coupled, getattr(step, "peephole", False), act_in, act_out)
    entries = {"c_prev": (0.3, 5.0, r"$c_{t-1}$"), "h_prev": (0.3, 1.0, r"$h_{t-1}$"), "x": (1.3, -0.2, r"$x_t$"),
               "c_out": (9.7, 5.0, r"$c_t$"), "h_out": (9.7, 1.0, r"$h_t$")}
    f = "f_t \\odot " if "f" in gates else ""
    peep = "   + the peepholes' terms" if getattr(step, "peephole", False) else ""
    po = r" + p_o \odot \partial a_o" if getattr(step, "peephole", False) and "o" in gates else ""
    back = [rf"$\partial c_t = \partial c_t^{{\mathrm{{later}}}} + \partial h_t \odot o_t \odot \tanh'(c_t){po}$"
            "   (the output's share added)",
            rf"$\partial c_{{t-1}} = {f}\partial c_t$" + peep
            + "   the highway: no weight matrix, no squashing derivative",
            r"$\partial h_{t-1} = W_{hh}^\top \partial a_t$   (through the gates only)"]
    return Diagram(nodes, edges, [("c_prev", "xf"), ("xf", "plus"), ("plus", "c_out")], eq, back, entries)



def _lstm_equations(gates: tuple, coupled: bool, peephole: bool, act_in: bool, act_out: bool) -> list:
    def sig(k: str, seen: str) -> str:
        peep = rf" + p_{k} \odot {seen}" if peephole else ""
        return rf"${k}_t = \sigma(W_{{i{k}}} x_t + W_{{h{k}}} h_{{t-1}}{peep} + b_{k})$"
    lines = [sig(k, "c_{t-1}") for k in ("i", "f") if k in gates]
    lines += [r"$i_t = 1 - f_t$"] if coupled else []
    a_g = r"W_{ig} x_t + W_{hg} h_{t-1} + b_g"
    lines.append(rf"$g_t = \tanh({a_g})$" if act_in else rf"$g_t = {a_g}$")
    f, i = ("f_t \\odot " if "f" in gates else ""), ("i_t \\odot " if ("i" in gates or coupled) else "")
    lines.append(rf"$c_t = {f}c_{{t-1}} + {i}g_t$")
    lines += [sig("o", "c_t")] if "o" in gates else []
    o, tc = ("o_t \\odot " if "o" in gates else ""), ("\\tanh(c_t)" if act_out else "c_t")
    lines.append(rf"$h_t = {o}{tc}$")
    return lines


def _gru(step: Any) -> Diagram:
    nodes = {"r": Node(2.2, 2.0, r"$\sigma$  r", GATE, "r"), "z": Node(3.6, 2.6, r"$\sigma$  z", GATE, "z"),
             "n": Node(6.2, 2.9, "tanh", TANH, "n"),
             "one_minus": Node(5.7, 4.0, "1 - z", OP), "xh": Node(4.6, 5.0, r"$\times$", OP),
             "xz": Node(7.2, 4.0, r"$\times$", OP), "plus": Node(7.2, 5.0, "+", OP)}
    edges = [("h_prev", "xh"), ("xh", "plus"), ("plus", "h_out"), ((0.8, 5.0), (0.8, 1.0)), ("x", (1.4, 1.0)),
             ((0.8, 1.0), (6.2, 1.0)), ((6.2, 1.0), "n"), ((2.2, 1.0), "r"), ((3.6, 1.0), "z"), ("r", "xr"),
             ("z", "xh"), ("z", "one_minus"), ("one_minus", "xz"), ("n", "xz"),
             ("xz", "plus")]
    # where r acts: on the product W_hn h + b_hn (reset_after), or on h before the product (Cho et al.)
    low, high = (1.6, 2.35)
    first, second = ("whn", "xr") if step.reset_after else ("xr", "whn")
    nodes["whn"] = Node(5.1, low if step.reset_after else high, r"$W_{hn}\cdot$", MAT)
    nodes["xr"] = Node(5.1, high if step.reset_after else low, r"$\times$", OP)
    edges += [((5.1, 1.0), first), (first, second), (second, "n")]
    if step.reset_after:
        n = r"$n_t = \tanh(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn}))$   (reset_after=True)"
    else:
        n = r"$n_t = \tanh(W_{in} x_t + b_{in} + W_{hn} (r_t \odot h_{t-1}) + b_{hn})$   (reset_after=False)"
    eq = [r"$r_t = \sigma(W_{ir} x_t + W_{hr} h_{t-1} + b_r)$", r"$z_t = \sigma(W_{iz} x_t + W_{hz} h_{t-1} + b_z)$",
          n, r"$h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}$   (PyTorch's form)"]
    entries = {"h_prev": (0.3, 5.0, r"$h_{t-1}$"), "x": (1.4, -0.2, r"$x_t$"), "h_out": (9.7, 5.0, r"$h_t$")}
    back = [r"$\partial h_{t-1} = z_t \odot \partial h_t$ + the terms through $r_t$, $z_t$, $n_t$ and $W_{hh}$",
            "the z path is the GRU's highway: open when z is near 1"]
    return Diagram(nodes, edges, [("h_prev", "xh"), ("xh", "plus"), ("plus", "h_out")], eq, back, entries)


def _name(step: Any) -> str:
    if isinstance(step, RNNStep):
        return f"RNN ({step.nonlinearity})"
    if isinstance(step, GRUStep):
        return f"GRU (reset_after={step.reset_after})"
    if isinstance(step, LSTMStep):
        return "LSTM"
    variant = [k for k in VARIANTS if k != "V" and VARIANTS[k] == {o: getattr(step, o) for o in VARIANTS[k]}]
    return "peephole LSTM" if step.peephole and not variant else f"LSTM variant {''.join(variant[:1]) or ''}".strip()


def diagram(cell: Any) -> Diagram:
    """The nodes, edges, highway and equations of ``cell``'s step (no drawing)."""
    step = step_of(cell)
    if isinstance(step, RNNStep):
        return _rnn(step)
    return _gru(step) if isinstance(step, GRUStep) else _lstm(step)


def _point(d: Diagram, end: Any) -> tuple:
    if isinstance(end, tuple):
        return end
    if end in d.nodes:
        return d.nodes[end].x, d.nodes[end].y
    return d.entries[end][:2]


def _draw_node(ax: Any, node: Any, gradient: bool) -> None:
    style = {GATE: dict(boxstyle="round,pad=0.35", fc="#fde9b8", ec="#b07d00"),
             TANH: dict(boxstyle="round,pad=0.35", fc="#d7e8f7", ec="#2b6ca3"),
             OP: dict(boxstyle="circle,pad=0.15" if len(node.text) > 3 else "circle,pad=0.3", fc="white", ec="0.3"),
             MAT: dict(boxstyle="square,pad=0.25", fc="#eeeeee", ec="0.4")}
    ax.text(node.x, node.y, node.text, ha="center", va="center", fontsize=10, zorder=4, bbox=style[node.kind],
            gid=f"gate:{node.gate}" if node.gate else None, alpha=0.85 if gradient else 1.0)


def draw(d: Diagram, ax: Any, gradient: bool) -> None:
    """Draw the diagram ``d`` on ``ax``: arrows forward, or reversed in red with the highway marked."""
    colour = "#c0392b" if gradient else "0.25"
    for edge in d.edges:
        (x0, y0), (x1, y1) = _point(d, edge[0]), _point(d, edge[1])
        if gradient:
            (x0, y0), (x1, y1) = (x1, y1), (x0, y0)
        ends = isinstance(edge[1 if not gradient else 0], str)   # an arrow head where it enters a node or leaves
        ls = "--" if len(edge) > 2 else "-"
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0), zorder=2,
                    arrowprops=dict(arrowstyle="-|>" if ends else "-", color=colour, lw=1.4, ls=ls,
                                    shrinkA=0, shrinkB=12 if ends else 0))
    if gradient and d.highway:
        xs = [_point(d, e)[0] for e in (d.highway[0][0], d.highway[-1][1])]
        y = _point(d, d.highway[0][0])[1]
        ax.plot(xs, [y, y], color="#27ae60", lw=9, alpha=0.35, solid_capstyle="round", zorder=1)
        ax.text(sum(xs) / 2, y + 0.45, "gradient highway", ha="center", color="#1e8449", fontsize=10,
                gid="highway")
    for node in d.nodes.values():
        _draw_node(ax, node, gradient)
    for name, (x, y, text) in d.entries.items():
        if gradient:
            text = r"$\partial L/\partial$" + text
        ha = "right" if x < 1 else "left" if x > 9 else "center"
        ax.text(x - 0.1 if x < 1 else x + 0.1 if x > 9 else x, y - (0.25 if y < 0 else 0), text,
                ha=ha, va="center" if y >= 0 else "top", fontsize=11, gid=f"state:{name}")
    lines = d.backward if gradient else d.equations
    for k, line in enumerate(lines):
        ax.text(0.0, -1.3 - 0.55 * k, line, ha="left", va="center", fontsize=10, gid="equation")
    ax.set(xlim=(-1.0, 10.9), ylim=(-1.3 - 0.55 * len(lines), 6.0))
    ax.set_axis_off()


def cell_diagram(cell: Any, gradient: bool = False, ax: Any = None, path: str | None = None,
                 title: str | None = None) -> Any:
    """Draw one step of ``cell``: its gates, states and the equations' flow. Returns the figure.

    Sigmoid gates are yellow boxes, tanh blocks blue ones, pointwise operations circles; the states enter
    on the left (``x_t`` from below) and leave on the right, and the step's equations are written under
    the drawing. Each gate's box carries the gid ``"gate:<letter>"`` (the letters of ``cell``'s gates).

    Parameters
    ----------
    cell : RNN, LSTM, PeepholeLSTM or GRU
        A cell (``minilstm.LSTMCell``, ...), a layer (``minilstm.LSTM``, ...) or a step pair
        (``minilstm.cells.LSTMStep``, ...); its options decide what is drawn (``nonlinearity``, peepholes,
        an LSTM variant's absent gates, the GRU's ``reset_after``).
    gradient : bool, default False
        Draw the backward path instead: every arrow reversed (``dL/d`` of each state), the step backward's
        state gradients written under it, and the path with no weight matrix on it marked as the
        gradient highway (the LSTM's cell state; the GRU's ``z * h_prev`` path; the RNN has none).
    ax : matplotlib axes, optional
        A new figure when None.
    path : str, optional
        Save the figure there (and close it, when this function made it).
    """
    d = diagram(cell)
    gradient = validate.boolean("gradient", gradient)
    plt = pyplot()

    own = ax is None
    fig, ax = plt.subplots(figsize=(8.5, 4.6 + 0.3 * len(d.equations))) if own else (ax.figure, ax)
    draw(d, ax, gradient)
    way = "backward (gradients flow right to left)" if gradient else "forward"
    ax.set_title(title or f"{_name(step_of(cell))} step, {way}")
    if path is not None:
        fig.savefig(path, dpi=100, bbox_inches="tight")
        if own:   # saved, and ours: closed, as plot.py's figures are
            plt.close(fig)
    return fig
