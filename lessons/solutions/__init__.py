"""Reference solutions of the lessons' exercises (peek only after trying).

Each module has ``step_backward(dstate, cache, p) -> (dxw, dhw, dstate_prev)``, the
signature :func:`minilstm.exercises.check_step_backward` checks.
"""
