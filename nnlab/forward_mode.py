"""Forward-mode differentiation of networks: Jacobian-vector products.

A training step differentiates in reverse mode: one forward pass that keeps a cache, then one
backward pass that carries ``dL/dZ`` from the loss back to every parameter (a
vector-Jacobian product per layer). Forward mode carries a *tangent* with the values
instead: each layer maps ``(X, dX)`` to ``(Z, dZ)``, where ``dZ = J_X dX + J_θ dθ`` is the
change of its output along a chosen direction of its input and parameters. It keeps nothing
from layer to layer, and one pass gives the derivative of every output along one direction.

Every nnlab layer defines its forward-mode rule as ``_jvp`` (see :class:`nnlab.Layer`).
"""

from __future__ import annotations

import numpy as np

from .base import Layer
from .losses import Loss

__all__ = ["forward_mode_gradient", "jvp"]


def _check_net(net, owner: str) -> None:
    if not isinstance(net, Layer):
        raise TypeError(f"{owner} expected an nnlab layer or network, got {type(net).__name__}.")


def jvp(net, X, dX=None, dparams=None) -> tuple[np.ndarray, np.ndarray]:
    """The output of ``net`` at ``X`` and its directional derivative, in one forward pass.

    Parameters
    ----------
    net : Layer
        Any nnlab layer or network (:class:`nnlab.Sequential`, nested ones included).
    X : array_like
        The input batch, ``(N, *net.input_shape)``.
    dX : array_like, optional
        The input's tangent, the shape of ``X``; None is zero.
    dparams : array_like, optional
        The parameters' tangent: a flat array of ``net.n_params`` entries, in the order of
        ``net.flat_params``; None is zero.

    Returns
    -------
    (Z, dZ) : tuple of ndarray
        ``Z = net(X)`` and ``dZ = J_X dX + J_θ dparams``, the Jacobian-vector product, of
        the same shape. Where the training pass differs from inference, the training pass is
        differentiated.

    Raises
    ------
    TypeError
        If ``net`` is not an nnlab layer, or an array is not real.
    ValueError
        If an array has the wrong shape, or a layer's pass is random (Dropout with p > 0).

    Notes
    -----
    Nothing is cached and no state changes: a later ``backward`` still belongs to the last
    ``forward``. Cost: about two to three forward passes' arithmetic, whatever the tangent.

    Examples
    --------
    >>> import nnlab as nl
    >>> net = nl.Sequential([nl.Dense(2, 3, rng=0), nl.Tanh(), nl.Dense(3, 1, rng=1)])
    >>> Z, dZ = jvp(net, np.ones((4, 2)), dX=np.ones((4, 2)))
    >>> Z.shape, dZ.shape
    ((4, 1), (4, 1))
    """
    _check_net(net, "jvp")
    return net.jvp(X, dX, dparams)


def forward_mode_gradient(net, loss, X, y) -> np.ndarray:
    """The gradient of ``loss(net(X), y)`` by forward mode: one JVP per parameter.

    For teaching and measurement, not for training: with P parameters it runs P forward
    passes (the tangent of each is a unit vector), where backpropagation needs one forward
    and one backward pass. The result equals ``net.flat_grads`` after ``net.backward`` (to
    rounding), and leaves ``net`` as it was.

    Parameters
    ----------
    net : Layer
        Any nnlab layer or network.
    loss : Loss
        An nnlab loss (:class:`nnlab.MSELoss`, :class:`nnlab.SoftmaxCrossEntropy`, ...).
    X, y : array_like
        A batch and its targets.

    Returns
    -------
    ndarray
        ``(net.n_params,)``, aligned with ``net.flat_params``.
    """
    _check_net(net, "forward_mode_gradient")
    if not isinstance(loss, Loss):
        raise TypeError(f"forward_mode_gradient expected an nnlab loss, got {type(loss).__name__}.")
    if net.n_params == 0:
        loss.jvp(net.jvp(X)[0], y, None)  # still check X and y
        return np.zeros(0, dtype=net.flat_params.dtype)
    seed = np.zeros(net.n_params, dtype=net.flat_params.dtype)
    grad = np.empty_like(seed)
    for i in range(net.n_params):  # one pass per parameter: the point of this function
        seed[i] = 1.0
        Z, dZ = net.jvp(X, None, seed)
        grad[i] = loss.jvp(Z, y, dZ)[1]
        seed[i] = 0.0
    return grad
