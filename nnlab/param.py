"""The declaration of a learnable parameter on a layer class (see :class:`nnlab.Layer`)."""

from __future__ import annotations

__all__ = ["Param"]


class Param:
    """A learnable parameter, declared once on a layer class: ``W = Param("Weights, ...")``.

    It gives every instance ``layer.W`` (assignment is checked and copied into the existing
    array, so optimizers keep their references) and the gradient ``layer.dW`` of the same
    shape, which ``backward`` overwrites. The layer creates the array in ``__init__`` with
    ``self._init_param("W", value, shape)``.
    """

    def __init__(self, doc: str) -> None:
        self.doc = doc

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.__doc__ = self.doc
        grad = property(lambda layer: layer.gradient(name), doc=f"dLoss/d{name}: {self.doc}")
        setattr(owner, f"d{name}", grad)

    def __get__(self, layer, owner=None):
        return self if layer is None else layer.parameter(self.name)

    def __set__(self, layer, value) -> None:
        layer.assign(self.name, value)
