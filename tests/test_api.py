"""The public API: names, lazy optional imports, docstrings with a Shapes section."""

import inspect

from helpers import loaded_by_import

import nnlab as nl

PUBLIC_CLASSES = [
    "Dense",
    "Sequential",
    "Sigmoid",
    "Tanh",
    "ReLU",
    "LeakyReLU",
    "Identity",
    "Softmax",
    "MSELoss",
    "SoftmaxCrossEntropy",
    "BinaryCrossEntropy",
]


def test_all_names_exist():
    for name in nl.__all__:
        assert hasattr(nl, name), name


def test_public_classes_document_their_shapes():
    for name in PUBLIC_CLASSES:
        cls = getattr(nl, name)
        assert inspect.getdoc(cls), name
        documented = [c for c in cls.__mro__ if "Shapes\n    ------" in (c.__doc__ or "")]
        assert documented, f"{name} (or its base class) has no Shapes section"


def test_core_imports_only_numpy():
    heavy = ["matplotlib", "ipywidgets", "sklearn", "tqdm", "autograd"]
    assert loaded_by_import("nnlab", heavy) == []
