"""Reference solutions of the lessons' exercises (peek only after trying).

The ladder, checked by :mod:`minilstm.exercises`: ``rnn``, ``lstm`` and ``gru`` hold each cell's
``step_forward`` and ``step_backward`` (``rnn``'s ReLU pair, ``gru``'s reset_after=False pair beside
them); ``bptt`` the loop over a sequence with a loss at every step; ``numerical_gradient`` the
finite-difference check. ``01_rnn_by_hand``, ``03_lstm_inside`` and ``04_gru_variants`` solve the other
exercises of those lessons, one function per exercise (run one as a script to see every answer).
"""
