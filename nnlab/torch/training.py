"""Gradients, losses and optimizers across nnlab and PyTorch (see :mod:`nnlab.torch`)."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..losses import BinaryCrossEntropy, Loss, MSELoss, SoftmaxCrossEntropy
from ..optim import SGD, Adam, AdamW, Optimizer
from .modules import as_array, parameter_map

__all__ = [
    "flat_grads",
    "loss_from_torch",
    "loss_to_torch",
    "optimizer_from_torch",
    "optimizer_to_torch",
]


def _nnlab_layout(tensor: torch.Tensor, transposed: bool, rows=None) -> np.ndarray:
    array = as_array(tensor if rows is None else tensor[rows])
    return array.T if transposed else array


def _unique(mapped) -> list[torch.Tensor]:
    """The distinct tensors of a parameter map, in order (one may hold several parameters)."""
    seen, out = set(), []
    for tensor, _, _ in mapped:
        if id(tensor) not in seen:
            seen.add(id(tensor))
            out.append(tensor)
    return out


def _numel(tensor: torch.Tensor, rows) -> int:
    return tensor.numel() if rows is None else tensor[rows].numel()


def flat_grads(module: nn.Module) -> np.ndarray:
    """The gradients of a module's parameters after ``loss.backward()``, as one NumPy vector in
    the order and layout of ``from_torch(module).flat_grads`` (a copy).

    Raises
    ------
    ValueError
        If a parameter has no gradient yet (no backward has reached it).
    """
    parts = []
    for tensor, transposed, rows in parameter_map(module):
        if tensor.grad is None:
            raise ValueError(
                f"flat_grads: a parameter of shape {tuple(tensor.shape)} has no gradient yet; "
                "call loss.backward() first."
            )
        parts.append(_nnlab_layout(tensor.grad, transposed, rows).ravel())
    return np.concatenate(parts)


_LOSSES = {
    MSELoss: nn.MSELoss,
    SoftmaxCrossEntropy: nn.CrossEntropyLoss,
    BinaryCrossEntropy: nn.BCEWithLogitsLoss,
}


def loss_to_torch(loss: Loss) -> nn.Module:
    """The PyTorch loss computing what ``loss`` computes: ``MSELoss`` -> ``nn.MSELoss()``,
    ``SoftmaxCrossEntropy`` -> ``nn.CrossEntropyLoss()`` (class labels as int64, or
    probability rows), ``BinaryCrossEntropy`` -> ``nn.BCEWithLogitsLoss()``; each the mean,
    as nnlab's. ``TypeError`` for anything else. For a sequence's logits ``(N, T, K)``,
    ``nn.CrossEntropyLoss`` wants the classes second: pass ``logits.reshape(-1, K)`` and
    ``labels.reshape(-1)`` (or ``logits.transpose(1, 2)``)."""
    for kind, torch_kind in _LOSSES.items():
        if type(loss) is kind:
            return torch_kind()
    names = ", ".join(k.__name__ for k in _LOSSES)
    raise TypeError(f"loss_to_torch expected one of {names}, got {type(loss).__name__}.")


def loss_from_torch(loss: nn.Module) -> Loss:
    """The nnlab loss for ``nn.MSELoss``, ``nn.CrossEntropyLoss`` or ``nn.BCEWithLogitsLoss``
    with their defaults (mean reduction, no class weights, no label smoothing, no ignored
    class); ``TypeError``
    for another type, ``ValueError`` (naming the option) for a setting nnlab does not have."""
    for kind, torch_kind in _LOSSES.items():
        if type(loss) is torch_kind:
            options = {
                "reduction": loss.reduction != "mean",
                "weight": getattr(loss, "weight", None) is not None,
                "pos_weight": getattr(loss, "pos_weight", None) is not None,
                "label_smoothing": getattr(loss, "label_smoothing", 0.0) != 0.0,
                "ignore_index": getattr(loss, "ignore_index", -100) != -100,
            }
            bad = [name for name, differs in options.items() if differs]
            if bad:
                raise ValueError(
                    f"loss_from_torch: {loss!r} sets {', '.join(bad)}; nnlab's "
                    f"{kind.__name__} is the plain mean."
                )
            return kind()
    names = ", ".join(f"nn.{t.__name__}" for t in _LOSSES.values())
    raise TypeError(f"loss_from_torch expected one of {names}, got {type(loss).__name__}.")


def _hyperparameters(optimizer: Optimizer) -> tuple[type, dict]:
    if type(optimizer) is SGD:
        h = dict(momentum=optimizer.momentum, weight_decay=optimizer.weight_decay)
        return torch.optim.SGD, dict(h, nesterov=optimizer.nesterov, dampening=0.0)
    if type(optimizer) in (Adam, AdamW):
        kind = torch.optim.AdamW if type(optimizer) is AdamW else torch.optim.Adam
        return kind, dict(
            betas=optimizer.betas, eps=optimizer.eps, weight_decay=optimizer.weight_decay
        )
    raise TypeError(
        f"optimizer_to_torch expected an nnlab SGD, Adam or AdamW, got {type(optimizer).__name__}."
    )


_STATE_NAMES = {"velocity": "momentum_buffer", "m": "exp_avg", "v": "exp_avg_sq"}


def _step_tensor(t: int) -> torch.Tensor:
    # PyTorch keeps Adam's step count as a float tensor of its default scalar dtype.
    dtype = torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32
    return torch.tensor(float(t), dtype=dtype)


def optimizer_to_torch(optimizer: Optimizer, module: nn.Module) -> torch.optim.Optimizer:
    """The PyTorch optimizer taking the steps ``optimizer`` would take, on ``module``'s
    parameters (made by :func:`to_torch` from the network ``optimizer`` updates).

    SGD (momentum, Nesterov, weight decay; no dampening) -> ``torch.optim.SGD``, Adam ->
    ``torch.optim.Adam``, AdamW -> ``torch.optim.AdamW``, every hyperparameter carried over.
    An optimizer that has stepped brings its state: SGD's velocity, Adam's moments and step
    count, so training goes on in PyTorch where it stopped in nnlab.

    Raises
    ------
    TypeError
        If ``optimizer`` is not an nnlab SGD, Adam or AdamW, or ``module`` holds a module
        type with no nnlab layer.
    ValueError
        If the module's parameters do not add up to the optimizer's (count or dtype).
    """
    kind, hyper = _hyperparameters(optimizer)
    mapped = parameter_map(module)
    size = sum(_numel(t, rows) for t, _, rows in mapped)
    if size != optimizer.n_params:
        raise ValueError(
            f"optimizer_to_torch: the optimizer updates {optimizer.n_params} numbers but the "
            f"module's parameters hold {size}; pass the module to_torch made from its network."
        )
    dtypes = {str(t.dtype).removeprefix("torch.") for t, _, _ in mapped}
    if dtypes != {d.name for d in optimizer.dtypes}:
        raise ValueError(
            f"optimizer_to_torch: the optimizer updates parameters of dtype "
            f"{sorted(d.name for d in optimizer.dtypes)} "
            f"but the module holds dtype {sorted(dtypes)}; convert the network first."
        )
    params = _unique(mapped)
    torch_opt = kind(params, lr=optimizer.lr, **hyper)
    vectors = optimizer.state_vectors()
    if vectors and getattr(optimizer, "t", 1) > 0:
        # each state in the tensors' layout, filled parameter by parameter
        filled = {name: {id(t): np.empty(tuple(t.shape)) for t in params} for name in vectors}
        offset = 0
        for tensor, transposed, rows in mapped:
            size = _numel(tensor, rows)
            target_shape = tuple((tensor if rows is None else tensor[rows]).shape)
            shape = target_shape[::-1] if transposed else target_shape
            for name, vector in vectors.items():
                part = vector[offset : offset + size].reshape(shape)
                where = filled[name][id(tensor)]
                (where if rows is None else where[rows])[...] = part.T if transposed else part
            offset += size
        for tensor in params:
            state = torch_opt.state[tensor]
            for name in vectors:
                state[_STATE_NAMES[name]] = torch.from_numpy(
                    filled[name][id(tensor)].astype(str(tensor.dtype).removeprefix("torch."))
                )
            if hasattr(optimizer, "t"):
                state["step"] = _step_tensor(optimizer.t)
    return torch_opt


def optimizer_from_torch(optimizer: torch.optim.Optimizer, module: nn.Module, net) -> Optimizer:
    """The nnlab optimizer taking the steps a PyTorch ``optimizer`` of ``module`` would take,
    on ``net = from_torch(module)``: the inverse of :func:`optimizer_to_torch`, state included.
    ``torch.optim.Adam(decoupled_weight_decay=True)`` becomes nnlab's :class:`~nnlab.AdamW`.

    Raises
    ------
    TypeError
        If ``optimizer`` is not ``torch.optim.SGD``, ``Adam`` or ``AdamW``.
    ValueError
        For a setting nnlab cannot express (dampening, ``amsgrad``, ``maximize``, several
        parameter groups with different settings), named; or if the optimizer's parameters
        are not those of ``module`` that nnlab keeps.
    """
    kinds = {torch.optim.SGD: SGD, torch.optim.Adam: Adam, torch.optim.AdamW: AdamW}
    if type(optimizer) not in kinds:
        raise TypeError(
            "optimizer_from_torch expected torch.optim.SGD, Adam or AdamW, got "
            f"{type(optimizer).__name__}."
        )
    group = optimizer.param_groups[0]
    keys = (
        ["momentum", "weight_decay", "nesterov"]
        if type(optimizer) is torch.optim.SGD
        else ["betas", "eps", "weight_decay"]
    )
    unsupported = {"dampening": 0, "amsgrad": False, "maximize": False}
    for g in optimizer.param_groups:
        for option, default in unsupported.items():
            if g.get(option, default) != default:
                raise ValueError(f"optimizer_from_torch: {option}={g[option]!r} has no nnlab form.")
        differing = [k for k in ["lr", *keys, "decoupled_weight_decay"] if g.get(k) != group.get(k)]
        if differing:
            raise ValueError(
                f"optimizer_from_torch: the parameter groups differ in {', '.join(differing)}; "
                "an nnlab optimizer has one setting for all parameters."
            )
    mapped = parameter_map(module)
    owned = {id(p) for g in optimizer.param_groups for p in g["params"]}
    trainable = {id(t) for t, _, _ in mapped}
    extra = [
        p
        for g in optimizer.param_groups
        for p in g["params"]
        if id(p) not in trainable and p.requires_grad
    ]
    if not trainable <= owned or extra:
        raise ValueError(
            "optimizer_from_torch: the optimizer's parameters are not those of the module "
            "(or it updates one nnlab has no place for, such as an RNN's trainable bias_hh)."
        )
    hyper = {k: (tuple(group[k]) if k == "betas" else group[k]) for k in keys}
    kind = kinds[type(optimizer)]
    if kind is Adam and group.get("decoupled_weight_decay", False):
        kind = AdamW  # torch's Adam(decoupled_weight_decay=True) is AdamW
    ours = kind(net.parameters(), lr=float(group["lr"]), **hyper)
    states = [optimizer.state.get(t, {}) for t, _, _ in mapped]
    if any(states) and not all(states):
        raise ValueError(
            "optimizer_from_torch: some of the module's parameters have optimizer state and "
            "some have none (was one frozen for a while?); nnlab keeps one state for all."
        )
    if ours.state and all(states):
        ours.load_state_vectors(
            {
                name: np.concatenate(
                    [
                        _nnlab_layout(s[_STATE_NAMES[name]], tr, rows).ravel()
                        for s, (_, tr, rows) in zip(states, mapped, strict=True)
                    ]
                )
                for name in ours.state_vectors()
            }
        )
        if "step" in states[0]:
            ours.t = int(float(states[0]["step"]))
    return ours
