"""Explorer tests draw on the Agg backend and close every figure they open.

The fixtures ``subset`` and ``fit_calls`` act on the module a test file explores: the file
names it ``EXPLORED`` and the subset's size ``SUBSET = (n_train, n_test)``."""

from types import SimpleNamespace

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt

import nnlab as nl
from nnlab.explore.signal_propagation import digits


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def subset(request, monkeypatch):
    """The first ``SUBSET`` training and test digits, in place of the whole split: faster."""
    n_train, n_test = request.module.SUBSET
    split = digits()
    small = SimpleNamespace(
        X_train=split.X_train[:n_train],
        y_train=split.y_train[:n_train],
        X_test=split.X_test[:n_test],
        y_test=split.y_test[:n_test],
    )
    monkeypatch.setattr(request.module.EXPLORED, "digits", lambda: small)
    return small


@pytest.fixture
def fit_calls(request, monkeypatch):
    """Every call of nnlab.fit made by the module: (net, optimizer, X, y, kwargs)."""
    calls = []

    def spy(net, loss, optimizer, X, y, **kwargs):
        assert isinstance(loss, nl.SoftmaxCrossEntropy)
        calls.append(SimpleNamespace(net=net, opt=optimizer, X=X, y=y, kwargs=kwargs))
        return nl.fit(net, loss, optimizer, X, y, **kwargs)

    monkeypatch.setattr(request.module.EXPLORED, "fit", spy)
    return calls
