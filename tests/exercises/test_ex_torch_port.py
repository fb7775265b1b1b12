"""check_port_to_torch: the solution passes, each usual mistake of a hand-written port is named,
and the reference port agrees with nnlab.torch.to_torch."""

from __future__ import annotations

import numpy as np
import pytest

import nnlab as nl
from nnlab import exercises as ex
from nnlab.exercises import torch_port as tp

from .checkers import (
    assert_docstring_examples_run,
    assert_exports_checker_not_solution,
    assert_names_the_mistake,
)

torch = pytest.importorskip("torch")
nn = torch.nn


def test_docstrings_and_exports():
    assert_docstring_examples_run(tp)
    assert_exports_checker_not_solution("check_port_to_torch", "port_solution")


def test_reference_port_equals_the_bridge():
    from nnlab.torch import to_torch

    net = nl.Sequential([nl.Dense(3, 4, rng=0), nl.Tanh(), nl.Dense(4, 2, rng=1)])
    X = torch.from_numpy(np.random.default_rng(0).normal(size=(5, 3)))
    with torch.no_grad():
        ours, bridge = tp.port_solution(net)(X), to_torch(net)(X)
    np.testing.assert_allclose(ours.numpy(), bridge.numpy(), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(ours.numpy(), net.forward(X.numpy()), rtol=1e-12, atol=1e-14)


def port_with(*, transpose=True, bias=True, act=nn.Tanh, dtype=torch.float64, share=False):
    """A hand port with one mistake switched on."""

    def port(net):
        modules = []
        for layer in net.layers:
            if isinstance(layer, nl.Dense):
                linear = nn.Linear(layer.n_in, layer.n_out, dtype=dtype)
                with torch.no_grad():
                    if share:
                        linear.weight = nn.Parameter(torch.from_numpy(layer.W.T))
                    else:
                        linear.weight.copy_(torch.tensor(layer.W.T if transpose else layer.W))
                    if bias:
                        linear.bias.copy_(torch.tensor(layer.b))
                modules.append(linear)
            elif act is not None:
                modules.append(act())
        return nn.Sequential(*modules)

    return port


def transposed_only_when_square(net):
    # W copied as is where it has the shape of W.T: no shape error, wrong numbers
    port = port_with()(net)
    with torch.no_grad():
        for linear, dense in zip(port[::2], net.layers[::2], strict=True):
            if dense.W.shape[0] == dense.W.shape[1]:
                linear.weight.copy_(torch.tensor(dense.W))
    return port


@pytest.mark.parametrize(
    ("fn", "phrase"),
    [
        (port_with(transpose=False), "copy W.T, not W"),
        (transposed_only_when_square, "nn.Linear stores its weight as (n_out, n_in)"),
        (port_with(bias=False), "starts with random biases; copy b"),
        (port_with(act=None), "leaves out the tanh"),
        (port_with(act=nn.ReLU), "ReLU where the network uses tanh"),
        (port_with(act=nn.Sigmoid), "differs from the network's by up to"),
        (port_with(dtype=torch.float32), "dtype=torch.float64"),
        (port_with(share=True), "shares memory with the network"),
        (lambda net: list(port_with()(net)), "returned a list, not a torch.nn.Module"),
        (lambda net: nn.Sequential(*list(port_with()(net))[:-1]), "1 nn.Linear layers"),
    ],
)
def test_each_mistake_is_named(fn, phrase):
    fb = assert_names_the_mistake(ex.check_port_to_torch(fn), phrase)
    assert "on the case '" in fb.hint


def test_a_port_that_changes_the_network_is_refused():
    def port(net):
        module = port_with()(net)
        net.layers[0].W = net.layers[0].W * 2
        return module

    fb = assert_names_the_mistake(ex.check_port_to_torch(port), "changed the network's weights")
    assert "only read them" in fb.hint


def test_the_correct_port_passes_and_leaves_torch_defaults_alone():
    dtype = torch.get_default_dtype()
    assert ex.check_port_to_torch(port_with()).passed
    assert torch.get_default_dtype() == dtype


# -- check_accumulate ---------------------------------------------------------------------------


def accumulate_with(*, zero="once", weight="share"):
    """An accumulation step with one mistake switched on."""

    def fn(module, X, y, k):
        if zero == "once":
            module.zero_grad()
        loss_fn = nn.CrossEntropyLoss()
        for part in torch.tensor_split(torch.arange(len(X)), k):
            if zero == "inside":
                module.zero_grad()
            loss = loss_fn(module(X[part]), y[part])
            scale = {
                "share": len(part) / len(X),
                "k": 1 / k,
                "none": 1.0,
                "size": 1 / (k * len(part)),
            }[weight]
            (loss * scale).backward()

    return fn


@pytest.mark.parametrize(
    ("fn", "phrase"),
    [
        (accumulate_with(zero="never"), "call module.zero_grad() once"),
        (accumulate_with(zero="inside"), "only the last micro-batch's gradient is left"),
        (accumulate_with(weight="none"), "means is not a mean"),
        (accumulate_with(weight="k"), "right only when the micro-batches have equal sizes"),
        (accumulate_with(weight="size"), "divided by the micro-batch size as well"),
        (lambda module, X, y, k: None, "the ones the module held before your function"),
    ],
)
def test_each_accumulation_mistake_is_named(fn, phrase):
    fb = assert_names_the_mistake(ex.check_accumulate(fn), phrase)
    assert "on the case '" in fb.hint


def test_dividing_by_k_passes_the_equal_case_and_fails_the_unequal_one():
    fb = ex.check_accumulate(accumulate_with(weight="k"))
    assert "(4, 3, 3)" in fb.hint  # the first case, with equal parts, passed
