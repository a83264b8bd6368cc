"""Reference solutions of the lessons' exercises (peek only after trying).

The ladder, checked by :mod:`minilstm.exercises`: ``rnn``, ``lstm`` and ``gru`` hold each cell's
``step_forward`` and ``step_backward`` (``rnn``'s ReLU pair, ``gru``'s reset_after=False pair beside
them); ``bptt`` the loop over a sequence with a loss at every step; ``numerical_gradient`` the
finite-difference check. ``NN_name.py`` solves lesson NN's other exercises, one function per exercise that
returns (and, run as a script, prints) its answer. Every one runs the same way::

    python lessons/solutions/03_lstm_inside.py            # every answer, at the lesson's sizes
    python lessons/solutions/03_lstm_inside.py --quick    # small sizes: a smoke test of seconds
"""
