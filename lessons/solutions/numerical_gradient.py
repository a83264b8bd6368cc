"""The ladder's fourth rung: your own numerical gradient, by central differences.

(f(w + eps) - f(w - eps)) / (2 eps) is off by eps**2 f'''/6: at eps = 1e-4 about 1e-8 of the gradient,
where the one-sided (f(w + eps) - f(w)) / eps is off by eps f''/2, about 1e-4 of it.
Checked by ``check_numerical_gradient(numerical_gradient, cell=...)``.
"""
import numpy as np


def numerical_gradient(f, w, eps):
    grad = np.zeros_like(w)
    for idx in np.ndindex(*w.shape):
        old = w[idx]
        w[idx] = old + eps
        f_plus = f(w)
        w[idx] = old - eps
        f_minus = f(w)
        w[idx] = old                                      # put it back before the next entry
        grad[idx] = (f_plus - f_minus) / (2 * eps)
    return grad
