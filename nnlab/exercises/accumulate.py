"""Exercise on PyTorch's accumulated gradients (chapter from-nnlab-to-pytorch).

- :func:`check_accumulate`: the learner writes ``accumulate(module, X, y, k)``, which leaves in
  the module's ``.grad`` the gradient of the mean cross-entropy over the whole batch, built
  from ``k`` micro-batches; the reference is nnlab's ``backward`` on the whole batch.

PyTorch is imported only when the checker runs.
"""

from __future__ import annotations

import numpy as np

from ..activations import Tanh
from ..layers import Dense
from ..network import Sequential
from ._feedback import Feedback, Raised, kind, safe_call

# --------------------------------------------------

ACCUMULATE_TODO = (
    "implement fn(module, X, y, k) that leaves in module's .grad the gradient of the mean "
    "cross-entropy over the whole batch, from k micro-batches (torch.tensor_split)."
)
ACCUMULATE_TITLE = "Gradient accumulation"


def accumulate_solution(module, X, y, k: int) -> None:
    """Reference solution: clear the gradients once, then add ``k`` backward passes, each on
    the mean loss of one micro-batch weighted by its share of the batch, ``len(part) / N``
    (``1 / k`` when the parts are equal)."""
    import torch

    module.zero_grad()
    loss_fn = torch.nn.CrossEntropyLoss()
    for part in torch.tensor_split(torch.arange(len(X)), k):
        (loss_fn(module(X[part]), y[part]) * (len(part) / len(X))).backward()


def _accumulate_case(seed: int, n: int, k: int):
    import torch

    from ..torch import to_torch

    rng = np.random.default_rng(seed)
    net = Sequential([Dense(4, 5, rng=seed), Tanh(), Dense(5, 3, rng=seed + 1)])
    X, y = rng.normal(size=(n, 4)), rng.integers(0, 3, n)
    module = to_torch(net)
    for p in module.parameters():  # gradients left over from an earlier step
        p.grad = torch.full_like(p, 0.5)
    return net, module, torch.from_numpy(X), torch.from_numpy(y), k


def check_accumulate(fn) -> Feedback:
    """Check ``fn(module, X, y, k)``: after it, the module's gradients must be those of the
    mean cross-entropy over the whole batch (nnlab's ``backward`` on it is the reference),
    whatever the gradients held before. Two cases (micro-batches of equal and unequal size).

    Diagnoses: no ``zero_grad`` (old gradients kept), ``zero_grad`` inside the loop (only the
    last micro-batch left), losses not weighted, weighted by ``1 / k`` on unequal parts,
    divided by the micro-batch size again, and
    ``fn`` returning gradients instead of leaving them in ``.grad``.
    """
    if not callable(fn):
        return Feedback(
            False,
            f"expected your function, got {kind(fn)}: pass the function itself, without "
            "calling it (check(my_function), not check(my_function(...))).",
            ACCUMULATE_TITLE,
        )
    try:
        import torch  # noqa: F401
    except ImportError:
        return Feedback(False, "this exercise needs PyTorch: pip install torch", ACCUMULATE_TITLE)
    from ..losses import SoftmaxCrossEntropy
    from ..torch import flat_grads

    for label, (seed, n, k) in {
        "a batch of 12 in 4 micro-batches of 3": (1, 12, 4),
        "a batch of 10 in 3 micro-batches (4, 3, 3)": (2, 10, 3),
    }.items():
        net, module, X, y, k = _accumulate_case(seed, n, k)
        try:
            out = safe_call(fn, [module, X, y, k])
        except NotImplementedError:
            return Feedback.not_attempted(ACCUMULATE_TODO, ACCUMULATE_TITLE)
        where = f"on the case '{label}', "
        if isinstance(out, Raised):
            return Feedback(
                False, f"{where}your function raised {out.message()}.", ACCUMULATE_TITLE
            )
        loss = SoftmaxCrossEntropy()
        loss.forward(net.forward(X.numpy()), y.numpy())
        net.backward(loss.backward())
        want = net.flat_grads.copy()
        try:
            got = flat_grads(module)
        except ValueError:
            return Feedback(
                False,
                f"{where}the module has no gradients after your function: call backward() on "
                "each micro-batch's loss (and do not set .grad to None at the end).",
                ACCUMULATE_TITLE,
            )

        def close(a, b):
            return np.allclose(a, b, rtol=1e-9, atol=1e-12)

        if close(got, want):
            continue
        means = []  # the gradient of each micro-batch's mean loss, with its size
        for part in np.array_split(np.arange(n), k):
            loss.forward(net.forward(X.numpy()[part]), y.numpy()[part])
            net.backward(loss.backward())
            means.append((len(part), net.flat_grads.copy()))
        summed = sum(g for _, g in means)
        hints = [
            (
                want + 0.5,
                "the old gradients are still in .grad: call module.zero_grad() once, "
                "before the micro-batches (backward adds into .grad).",
            ),
            (
                means[-1][1] * means[-1][0] / n,
                "only the last micro-batch's gradient is left: "
                "zero_grad() belongs before the loop, not inside it, or each backward erases the "
                "one before.",
            ),
            (
                summed,
                f"your gradients are about {k} times too large: a sum of {k} means is not "
                "a mean; weight each micro-batch's loss by its share of the batch, len(part) / N.",
            ),
            (
                summed / k,
                "you divided each micro-batch's loss by k, which is right only when "
                "the micro-batches have equal sizes: weight each by its share, len(part) / N.",
            ),
            (
                sum(g / m for m, g in means) / k,
                "your gradients are divided by the micro-batch "
                "size as well: CrossEntropyLoss already takes the mean over a micro-batch.",
            ),
        ]
        hints.append(
            (
                np.full_like(want, 0.5),
                "the gradients are the ones the module held before your function: run "
                "backward() on each micro-batch's loss.",
            )
        )
        for value, hint in hints:
            if close(got, value):
                return Feedback(False, where + hint, ACCUMULATE_TITLE)
        if out is not None and not isinstance(out, Raised):
            return Feedback(
                False,
                f"{where}your function returned {kind(out)}; leave the gradients in the "
                "parameters' .grad (the optimizer reads them there) and return nothing.",
                ACCUMULATE_TITLE,
            )
        worst = float(np.max(np.abs(got - want)))
        return Feedback(
            False,
            f"{where}the accumulated gradients differ from the batch's by up to {worst:.3g}.",
            ACCUMULATE_TITLE,
        )
    return Feedback(
        True,
        "the gradients equal the whole batch's on 2 cases (equal and unequal micro-batches).",
        ACCUMULATE_TITLE,
    )
