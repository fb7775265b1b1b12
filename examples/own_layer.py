"""Writing your own layer: two new layers, each written as its equations, and the nnlab tools
working on them unchanged. Run it with ``python examples/own_layer.py``."""

import numpy as np

import nnlab as nl
from nnlab.profile import cached_bytes, trace


class Scale(nl.Layer):
    """A learnable gain per feature: ``Z = X * g`` (g broadcast over the N rows of the batch).

    Backward: ``dg = sum over the batch of dZ * X`` and ``dX = dZ * g``.
    """

    g = nl.Param("Gain per feature, shape (n,).")  # gives .g, .dg, and checked assignment

    def __init__(self, n, *, dtype=np.float64):
        self.n = n
        super().__init__(dtype)
        self._init_param("g", np.ones(n), (n,))

    input_shape = property(lambda self: (self.n,))  # one sample: n features

    def _forward(self, X, cache):
        return X * self.g, (X,)  # the output, and what backward needs

    def _backward(self, dZ, X, *, input_grad):
        np.einsum("ij,ij->j", dZ, X, out=self.dg)  # overwrite the gradient in place
        return dZ * self.g if input_grad else None

    def _flops(self, n, shape):  # a multiply-add counts as 2
        return {"forward": n * self.n, "backward_dW": 2 * n * self.n, "backward_dX": n * self.n}

    def __repr__(self):
        return f"Scale({self.n})"


class Swish(nl.Layer):
    """The element-wise ``A = Z sigmoid(Z)``, whose derivative is ``s + Z s (1 - s)``."""

    min_ndim = 0  # element-wise: any array
    flops_per_entry = (5, 5)  # per entry, forward and backward (an exp counts as one)

    def _forward(self, Z, cache):
        s = 1.0 / (1.0 + np.exp(-Z))
        return Z * s, (Z, s)

    def _backward(self, dA, Z, s, *, input_grad):
        return dA * (s + Z * s * (1.0 - s)) if input_grad else None


EPOCHS = 200


def demo(seed=0):
    """Train and inspect a network that uses both layers; returns what it measured."""
    X, y = nl.make_spirals(300, rng=seed)
    net = nl.Sequential([nl.Dense(2, 32, rng=seed), Swish(), Scale(32), nl.Dense(32, 3, rng=seed)])
    loss = nl.SoftmaxCrossEntropy()

    # fit: the optimizer finds g through net.parameters(), like any W or b
    opt = nl.Adam(net.parameters(), lr=0.02)
    history = nl.fit(net, loss, opt, X, y, epochs=EPOCHS, rng=seed, progress=False)

    # gradcheck: backpropagation against finite differences, per parameter ("2.g" is Scale's)
    errors = nl.gradcheck(net, loss, X[:20], y[:20])

    # checkpointed_backward: keep 2 segment inputs, recompute the rest; the same gradients
    loss.forward(net.forward(X[:64]), y[:64])
    net.backward(loss.backward())
    plain = net.flat_grads.copy()
    nl.checkpointed_backward(net, loss, X[:64], y[:64], segments=2)
    same = np.array_equal(plain, net.flat_grads)

    # flops, per layer; cached_bytes, what a training forward keeps; trace, the visit order
    flops = nl.flops(net, 64)
    net.forward(X[:64])
    kept = cached_bytes(net)
    with trace(net) as events:
        loss.forward(net.forward(X[:64]), y[:64])
        net.backward(loss.backward())
    order = [(e.direction, e.index) for e in events]

    # astype: a float32 copy, its Scale included
    net32 = net.astype(np.float32)
    return {
        "loss": history["loss"],
        "accuracy": nl.accuracy(net, X, y),
        "gradcheck": errors,
        "checkpointed_equal": same,
        "flops": flops,
        "cached_bytes": kept,
        "order": order,
        "float32": (net32.layers[2].g.dtype, net32.forward(X[:5].astype(np.float32)).dtype),
    }


if __name__ == "__main__":
    out = demo()
    print(
        f"training loss {out['loss'][0]:.3f} -> {out['loss'][-1]:.3f}, "
        f"accuracy {out['accuracy']:.2f}"
    )
    print("gradcheck:", {k: f"{v:.0e}" for k, v in out["gradcheck"].items()})
    print("checkpointed gradients identical:", out["checkpointed_equal"])
    print("FLOPs of Scale and Swish:", out["flops"][2], out["flops"][1])
    print("bytes kept for backward:", out["cached_bytes"])
    print("visits:", out["order"])
    print("float32 copy:", out["float32"])
