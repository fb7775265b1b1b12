"""Every checker with its reference solution, ways to spoil a solution's output, and the checks
every exercise's tests make: its docstring examples run, it exports the checker and not the
solution, the checker names each mistake and tells a stub it is not attempted yet."""

from __future__ import annotations

import doctest
from functools import partial

import numpy as np

from nnlab import exercises as ex
from nnlab.exercises import (
    accumulate,
    activations,
    adam,
    attention,
    batchnorm,
    clipping,
    conv,
    cost,
    dense,
    dropout,
    forward_mode,
    initialization,
    memory,
    network,
    numgrad,
    optim,
    pareto,
    softmax,
    torch_port,
    value,
)

# name -> (check(fn), reference solution)
CHECKERS = {
    "dense": (ex.check_dense_backward, dense.dense_backward_solution),
    "softmax": (ex.check_softmax_cross_entropy, softmax.softmax_cross_entropy_solution),
    "sigmoid": (
        partial(ex.check_activation_backward, activation="sigmoid"),
        activations.sigmoid_backward_solution,
    ),
    "tanh": (
        partial(ex.check_activation_backward, activation="tanh"),
        activations.tanh_backward_solution,
    ),
    "relu": (
        partial(ex.check_activation_backward, activation="relu"),
        activations.relu_backward_solution,
    ),
    "network": (ex.check_two_layer_backward, network.two_layer_backward_solution),
    "sgd": (ex.check_sgd_momentum_step, optim.sgd_momentum_step_solution),
    "numgrad": (ex.check_numerical_gradient, numgrad.numerical_gradient_solution),
    "value_mul": (partial(ex.check_value_op, op="mul"), value.mul_backward_solution),
    "value_add": (partial(ex.check_value_op, op="add"), value.add_backward_solution),
    "value_tanh": (partial(ex.check_value_op, op="tanh"), value.tanh_backward_solution),
    "conv2d_dW": (ex.check_conv2d_dW, conv.conv2d_dW_solution),
    "accumulation": (ex.check_grad_accumulation, value.backward_step_solution),
    "he_init": (ex.check_he_init, initialization.he_init_solution),
    "clip_grad_norm": (ex.check_clip_grad_norm, clipping.clip_grad_norm_solution),
    "dropout": (ex.check_dropout_backward, dropout.dropout_backward_solution),
    "dense_flops": (ex.check_dense_flops, cost.dense_flops_solution),
    "adam": (ex.check_adam_step, adam.adam_step_solution),
    "training_memory": (ex.check_training_memory, memory.training_memory_solution),
    "pareto": (ex.check_pareto_front, pareto.pareto_front_solution),
    "dual_mul": (partial(ex.check_dual_op, op="mul"), forward_mode.dual_mul_solution),
    "dual_tanh": (partial(ex.check_dual_op, op="tanh"), forward_mode.dual_tanh_solution),
    "dense_jvp": (ex.check_dense_jvp, forward_mode.dense_jvp_solution),
    "torch_port": (ex.check_port_to_torch, torch_port.port_solution),
    "accumulate": (ex.check_accumulate, accumulate.accumulate_solution),
    "attention": (ex.check_attention_backward, attention.attention_backward_solution),
    "batchnorm": (ex.check_batchnorm_backward, batchnorm.batchnorm_backward_solution),
}

# The checkers whose learner function returns its result (the accumulation step does not).
RETURNING = [name for name in CHECKERS if name not in ("accumulation", "accumulate")]
# The checkers whose learner function returns arrays (the port to PyTorch returns a module).
ARRAYS = [name for name in RETURNING if name != "torch_port"]


def spoil(out, how):
    """Apply ``how`` to every array or number in a solution's output (tuple, list, dict, leaf)."""
    if isinstance(out, tuple):
        return tuple(spoil(o, how) for o in out)
    if isinstance(out, list):
        return [spoil(o, how) for o in out]
    if isinstance(out, dict):
        return {k: spoil(v, how) for k, v in out.items()}
    return how(np.asarray(out, dtype=float))


def spoiled(solution, how):
    return lambda *args: spoil(solution(*args), how)


def assert_docstring_examples_run(module):
    """Every docstring example of ``module`` runs as written, and there is at least one."""
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted >= 1


def assert_exports_checker_not_solution(checker, solution):
    """nnlab.exercises exports the checker named ``checker`` but not the reference ``solution``."""
    assert not hasattr(ex, solution)
    assert checker in ex.__all__


def assert_names_the_mistake(fb, phrase):
    """The feedback ``fb`` on an attempt with a mistake: marked wrong (attempted, not passed),
    with ``phrase`` in its hint. Returns ``fb``, for a test that asserts more."""
    assert fb.attempted and not fb.passed, fb.hint
    assert phrase in fb.hint, fb.hint
    return fb


def assert_not_attempted(fb):
    """The feedback on a stub that raises NotImplementedError: not attempted (and not passed),
    with a one-line hint that starts "not attempted yet: implement fn(". Returns ``fb``."""
    assert fb.attempted is False and not fb.passed, fb.hint
    assert fb.hint.startswith("not attempted yet: implement fn("), fb.hint
    assert "\n" not in fb.hint, fb.hint
    return fb
