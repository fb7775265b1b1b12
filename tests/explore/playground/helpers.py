"""Helpers of the playground tests: a forward and backward pass written out in NumPy,
independent of nnlab's layers, and a runner for exported code."""

import numpy as np

F = {
    "tanh": (np.tanh, lambda Z, A: 1.0 - A**2),
    "sigmoid": (lambda Z: 1.0 / (1.0 + np.exp(-Z)), lambda Z, A: A * (1.0 - A)),
    "relu": (lambda Z: np.maximum(Z, 0.0), lambda Z, A: (Z > 0).astype(float)),
    "linear": (lambda Z: Z, lambda Z, A: np.ones_like(Z)),
}


def weights(pg):
    return [(la.W.copy(), la.b.copy()) for la in pg.dense]


def by_hand(pg, A0, t):
    """Z, A (output last), per-sample deltas and per-sample dW for inputs A0 and targets t."""
    f, slope = F[pg.config.activation]
    params = weights(pg)
    Zs, As = [], [A0]
    for k, (W, b) in enumerate(params):
        Zs.append(As[-1] @ W + b)
        if k < len(params) - 1:
            As.append(f(Zs[-1]))
    z = Zs[-1]
    t = np.reshape(t, (-1, 1)).astype(float)
    if pg.task == "classification":
        out = 1.0 / (1.0 + np.exp(-z))
        loss = -(t * np.log(out) + (1 - t) * np.log(1 - out))
        delta = out - t
    else:
        out = z
        loss = (z - t) ** 2
        delta = 2 * (z - t)
    deltas = [delta]
    for k in range(len(params) - 2, -1, -1):
        deltas.insert(0, (deltas[0] @ params[k + 1][0].T) * slope(Zs[k], As[k + 1]))
    return {"Z": Zs, "A": [*As[1:], out], "delta": deltas, "loss": loss, "inputs": As}


def run(code):
    """Execute exported code in a fresh namespace; return the namespace."""
    scope = {}
    exec(compile(code, "<export>", "exec"), scope)
    return scope
