"""Implement-it exercises whose checkers name the bug.

Each checker calls the learner's function on a few cases (non-square shapes, a batch of 1,
large logits, values at 0, ...), compares the result with nnlab's own implementation, and,
when it differs, with known wrong variants, so the hint says which mistake it matches, in the
learner's terms. It returns a :class:`Feedback`: ``passed``, ``hint``, shown in Jupyter as a
short coloured message. A checker never raises: a stub that raises ``NotImplementedError`` is
"not attempted yet"; any other exception, a wrong return type or shape, a NaN or an input
changed in place is reported with the case that triggered it.

``check_dense_backward(fn)``, ``fn(X, W, b, dZ) -> (dW, db, dX)``
    dW transposed; dX without the transpose (a shape error, or wrong on a square W) or
    transposed; db over the wrong axis, with keepdims, over everything or not summed; an
    extra 1/N; a flipped sign.
``check_softmax_cross_entropy(fn)``, ``fn(logits, labels) -> (loss, dlogits)``
    no max-subtraction (nan on logits of 1000); the log of an underflowed probability; a
    summed, per-sample, all-entries or negative loss; ``[:, labels]`` indexing; dlogits
    without the 1/N, as y - p, both, or without the one-hot term.
``check_activation_backward(fn, activation)``, ``fn(Z, dA) -> dZ``, sigmoid, tanh or relu
    dA left out; f instead of f'; f' written from z where it is from A (``z (1 - z)``,
    ``1 - z^2``); tanh' without the square; ReLU at 0 and at +-1e-12 (nnlab: ReLU'(0) = 0);
    ReLU applied to dA; overflow for large z.
``check_two_layer_backward(fn)``, ``fn(X, y, W1, b1, W2, b2) -> {"W1": ..., ...}``
    tanh' missing in BP2, taken from Z1 or applied twice; X or Z1 instead of A1 in dW2;
    dZ2 @ W2 without the transpose; the 1/N missing; a flipped sign; transposed weight
    gradients; bias gradients over the wrong axis.
``check_sgd_momentum_step(fn)``, ``fn(theta, grad, velocity, lr, momentum) -> (theta, v)``
    lr inside the velocity (the CS231n convention; nnlab and the book use PyTorch's); lr
    twice; a moving-average velocity; momentum ignored; the old velocity; a flipped sign;
    Nesterov; the velocity unchanged or replaced by grad; inputs updated in place.
``check_numerical_gradient(fn)``, ``fn(f, x, eps) -> grad``
    forward or backward differences; / eps instead of / (2 eps); ``/ 2 * eps``; all entries
    at once; a matrix walked by rows; all zeros (``x_plus = x``); x not restored, or
    restored only up to rounding.
``check_best_eps(answer)``, one of ``EPS_CHOICES``
    a question: the step with the smallest error, and whether truncation or rounding
    dominates at the others.
``check_value_op(fn, op)``, ``fn(a, b, out_grad) -> (a_grad, b_grad)``; tanh: ``fn(a, out_grad)``
    out_grad left out; swapped operands; the rule of another operation; tanh' from a.
``check_conv2d_dW(fn)``, ``fn(X, dY, kernel_shape) -> dW``, stride 1, no padding, NCHW
    a flipped kernel (convolution instead of nnlab's cross-correlation); no sum over the
    batch (one gradient per sample, the first or the last sample only); an extra 1/N; the
    channel axes swapped; a flipped sign.
``check_grad_accumulation(fn)``, ``fn(node)``: one node's backward step on a ``Value`` graph
    = instead of += (wrong exactly where a value is used twice, ``x * x``, ``x + x``); the
    local derivative or node.grad left out; node.data instead of node.grad.
``check_he_init(fn)``, ``fn(n_in, n_out, rng) -> W``: He normal weights, checked in distribution
    the variance of the fan-out, Xavier, LeCun, ``rng.normal(0, 2 / n_in)`` (scale taken for
    the variance) or its square root; a uniform on +-sqrt(2/n_in) (a third of the variance);
    W transposed; weights not drawn from rng; zeros, a constant or equal columns (symmetry).
``check_clip_grad_norm(fn)``, ``fn(grads, max_norm) -> [clipped arrays]``, inputs unchanged
    per-tensor instead of global norm; element-wise np.clip; scaling up below max_norm; the
    squared, L1 or max norm; norm / max_norm; nan at zero gradients; grads changed in place.
``check_dropout_backward(fn)``, ``fn(dA, mask, p) -> dX``, inverted dropout with a 0/1 mask
    the scaling forgotten; 1/p instead of 1/(1 - p); (1 - p) multiplied; the mask left out or
    inverted; a new random mask drawn in backward; dA or mask changed in place.
``check_dense_flops(fn)``, ``fn(N, n_in, n_out) -> (forward, backward)``, as Dense.flops counts
    a multiply-add counted as 1 FLOP (the book counts 2); N left out (per-sample counts); forward
    and backward swapped; the bias, db or dX forgotten; backward as exactly 2x forward; a dict or
    a single number.
``check_adam_step(fn)``, ``fn(theta, grad, m, v, t, lr, beta1, beta2, eps) -> (theta, m, v)``
    no bias correction, or of m or v only, or with t - 1 or t + 1; v from grad instead of
    grad**2; beta and 1 - beta swapped; the square root missing; eps inside it; m and v swapped
    in the step; a flipped sign; lr missing; the old m or v returned; bias-corrected moments
    stored; inputs updated in place.
``check_training_memory(fn)``, ``fn(widths, N, itemsize) -> (cache_bytes, param_bytes)``
    the logits counted as kept; the input forgotten; every layer's output kept instead of its
    input; Z and A both kept; N or itemsize left out; bits instead of bytes; biases forgotten;
    parameters times N; the two swapped; a dict or a single number.
``check_pareto_front(fn)``, ``fn(costs, accuracies) -> indices``, by increasing cost
    strict dominance in both (ties kept); identical networks dropped, or one of them; cost
    maximised or accuracy minimised; sorted by accuracy or in input order; the dominated ones;
    values instead of indices; 1-based indices; only the cheapest or the most accurate.
``check_dual_op(fn, op)``, ``fn(u, du, v, dv) -> (w, dw)``; tanh: ``fn(z, dz) -> (a, da)``
    mul: du dv, one term of the product rule, each tangent times its own value, the sum
    rule; tanh: dz left out, 1 - z^2, 1 - tanh(z), the value left as z; a Dual returned.
``check_dense_jvp(fn)``, ``fn(X, W, b, dX, dW, db) -> (Z, dZ)``
    X dW, dX W or db left out; the second-order dX dW added or used instead; b for db; Z
    without the bias.
``check_batchnorm_backward(fn)``, ``fn(X, gamma, dZ, eps) -> (dX, dgamma, dbeta)``, training pass
    mu and var treated as constants (only gamma / sqrt(var + eps) * dZ); the term through the
    mean or through the variance forgotten; sums for the means; gamma left out of dX; the
    unbiased variance (N - 1); eps left out (nan on a constant feature) or outside the square
    root; x_hat without the mean subtracted; statistics over axis 1 (LayerNorm's); dgamma as
    sum(dZ), with X or X - mu; dgamma and dbeta over axis 1, with keepdims, over everything,
    not summed or averaged; an extra 1/N in dX; dX transposed; dgamma and dbeta swapped or the
    outputs in the wrong order; a flipped sign; X or dZ changed in place.
``check_attention_backward(fn)``, ``fn(Q, K, V, dO) -> (dQ, dK, dV)``, one head, ``(T, d)``
    dV = P dO or dO^T P; the softmax derivative forgotten (dS = dP), its diagonal only
    (P (1 - P) dP), its row sum over axis 0 or without keepdims; the 1/sqrt(d) missing from dQ
    and dK, applied twice, or missing from the recomputed scores; dQ and dK swapped; dS Q in dK
    or dS^T K in dQ; the softmax over the columns or the whole matrix; no max-subtraction (nan
    on scores of +-1000); a flipped sign; inputs changed in place.

Each topic module also holds the reference solutions (``dense.dense_backward_solution``,
``initialization.he_init_solution``, ``clipping.clip_grad_norm_solution``, ...), which the
book shows in dropdowns; they are not re-exported here.

Example
-------
>>> from nnlab import exercises as ex
>>> def dense_backward(X, W, b, dZ):
...     raise NotImplementedError
>>> ex.check_dense_backward(dense_backward).hint.startswith("not attempted yet")
True
"""

from __future__ import annotations

from ._feedback import Feedback
from .accumulate import check_accumulate
from .activations import check_activation_backward
from .adam import check_adam_step
from .attention import check_attention_backward
from .batchnorm import check_batchnorm_backward
from .clipping import check_clip_grad_norm
from .conv import check_conv2d_dW
from .cost import check_dense_flops
from .dense import check_dense_backward
from .dropout import check_dropout_backward
from .forward_mode import check_dense_jvp, check_dual_op
from .initialization import check_he_init
from .memory import check_training_memory
from .network import check_two_layer_backward
from .numgrad import EPS_CHOICES, check_best_eps, check_numerical_gradient
from .optim import check_sgd_momentum_step
from .pareto import check_pareto_front
from .softmax import check_softmax_cross_entropy
from .torch_port import check_port_to_torch
from .value import check_grad_accumulation, check_value_op

__all__ = [
    "EPS_CHOICES",
    "Feedback",
    "check_accumulate",
    "check_activation_backward",
    "check_adam_step",
    "check_attention_backward",
    "check_batchnorm_backward",
    "check_best_eps",
    "check_clip_grad_norm",
    "check_conv2d_dW",
    "check_dense_backward",
    "check_dense_flops",
    "check_dense_jvp",
    "check_dropout_backward",
    "check_dual_op",
    "check_grad_accumulation",
    "check_he_init",
    "check_numerical_gradient",
    "check_pareto_front",
    "check_port_to_torch",
    "check_sgd_momentum_step",
    "check_softmax_cross_entropy",
    "check_training_memory",
    "check_two_layer_backward",
    "check_value_op",
]
