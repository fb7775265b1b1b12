"""Units by name, and one weight (or bias) read and written by hand, as the TensorFlow
Playground does when an edge is clicked.

The pure functions name what the figure draws and change one entry of one Dense layer through
its public API: :func:`edge_choices` (the layers ``W^[l]``, ``l = 1..m``), :func:`unit_names`
(the units on either side of ``W^[l]``), :func:`get_weight` / :func:`set_weight` (``W^[l][i,
j]``, from unit ``i`` of layer ``l - 1`` to unit ``j`` of layer ``l``) and :func:`get_bias` /
:func:`set_bias` (``b^[l][j]``); :func:`unit_options` names the units for the widget's "big map"
menu. :class:`WeightEditor` is the widget's row of controls over them.

Units are named as the figure shows them: the inputs by their feature (``"x1"``,
``"x1^2"``...), hidden unit ``i`` of hidden layer ``k`` as ``"h{k}.{i}"`` (``i`` from 1, the
top unit of the column "hidden k" first), the output unit as ``"output"``.
"""

from __future__ import annotations

import html
import math
import numbers

import numpy as np

from .._widgets import FULL_LABEL
from .model import Playground

#: The largest ``|value|`` that :func:`set_weight` and :func:`set_bias` accept: far beyond
#: any useful weight, small enough that the maps and losses stay finite.
WEIGHT_LIMIT = 1e6
#: The value of the editor's "from" menu that stands for the bias (``b^[l][j]``).
BIAS = "bias"


def _layer_name(pg: Playground, k: int) -> str:
    """The column ``k`` of units (0: the inputs), as :func:`edge_choices` names it."""
    m = len(pg.config.sizes) - 1
    return "x" if k == 0 else "output" if k == m else f"hidden {k}"


def unit_name(pg: Playground, k: int, i: int) -> str:
    """The name of unit ``i`` (0-based) of unit layer ``k`` (0: the features, ``m``: the
    output): the feature's name, ``"h{k}.{i + 1}"``, or ``"output"``."""
    m = len(pg.config.sizes) - 1
    if k == 0:
        return pg.config.features[i]
    return "output" if k == m else f"h{k}.{i + 1}"


def edge_choices(pg: Playground) -> list[tuple[str, int]]:
    """The weight matrices ``W^[l]``, ``l = 1..m`` (``m = len(pg.dense)``), as
    ``(label, l)``: ``[("1: x → hidden 1", 1), ..., ("m: hidden m-1 → output", m)]``."""
    m = len(pg.config.sizes) - 1
    return [(f"{k}: {_layer_name(pg, k - 1)} → {_layer_name(pg, k)}", k) for k in range(1, m + 1)]


def _check_layer(pg: Playground, layer) -> int:
    m = len(pg.dense)
    if isinstance(layer, bool) or not isinstance(layer, numbers.Integral):
        raise TypeError(f"playground: layer must be an int l in 1..{m} (W^[l]), got {layer!r}.")
    if not 1 <= layer <= m:
        raise ValueError(
            f"playground: layer must be in 1..{m} (W^[1] to W^[{m}] of a network of sizes "
            f"{pg.config.sizes}), got {layer}."
        )
    return int(layer)


def unit_names(pg: Playground, layer: int) -> tuple[list[str], list[str]]:
    """The names of the units that ``W^[layer]`` joins: ``(from_names, to_names)``, the rows
    and the columns of the matrix, in order (see :func:`unit_name`)."""
    k = _check_layer(pg, layer)
    sizes = pg.config.sizes
    return (
        [unit_name(pg, k - 1, i) for i in range(sizes[k - 1])],
        [unit_name(pg, k, j) for j in range(sizes[k])],
    )


OUTPUT_UNIT = "output"  # the menu's value for the output map (a None value shows as blank)


def unit_options(pg: Playground) -> list[tuple[str, tuple[int, int] | str]]:
    """The widget's "big map" menu: ``("output", OUTPUT_UNIT)``, then ``("feature x1",
    (0, 0))``... and ``("hidden k unit i", (k, i - 1))`` for every hidden unit."""
    sizes, names = pg.config.sizes, pg.config.features
    options = [("output", OUTPUT_UNIT)] + [(f"feature {f}", (0, i)) for i, f in enumerate(names)]
    return options + [
        (f"hidden {k} unit {i + 1}", (k, i))
        for k in range(1, len(sizes) - 1)
        for i in range(sizes[k])
    ]


def _check_unit(index, n: int, what: str, names: list[str]) -> int:
    if isinstance(index, bool) or not isinstance(index, numbers.Integral):
        raise TypeError(f"playground: {what} must be an int in [0, {n}), got {index!r}.")
    if not 0 <= index < n:
        listed = ", ".join(f"{k}: {name}" for k, name in enumerate(names))
        raise ValueError(f"playground: {what} must be in [0, {n}) ({listed}), got {index}.")
    return int(index)


def _entry(pg: Playground, layer, i, j) -> tuple:
    """The Dense layer of ``W^[layer]`` and the checked ``(i, j)``."""
    k = _check_layer(pg, layer)
    sources, targets = unit_names(pg, k)
    if i is not None:
        i = _check_unit(i, len(sources), f"the from unit i of W^[{k}]", sources)
    return pg.dense[k - 1], i, _check_unit(j, len(targets), f"the to unit j of W^[{k}]", targets)


def _check_value(value, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"playground: {what} must be a real number, got {value!r}.")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"playground: {what} must be a finite number, got {value}.")
    if abs(value) > WEIGHT_LIMIT:
        raise ValueError(f"playground: {what} must be within ±{WEIGHT_LIMIT:g}, got {value:g}.")
    return value


def get_weight(pg: Playground, layer: int, i: int, j: int) -> float:
    """``W^[layer][i, j]``: the weight from unit ``i`` of layer ``layer - 1`` to unit ``j`` of
    layer ``layer`` (``layer`` 1..m as in :func:`edge_choices`; ``i``, ``j`` 0-based)."""
    dense, i, j = _entry(pg, layer, i, j)
    return float(dense.W[i, j])


def get_bias(pg: Playground, layer: int, j: int) -> float:
    """``b^[layer][j]``: the bias of unit ``j`` of layer ``layer``."""
    dense, _, j = _entry(pg, layer, None, j)
    return float(dense.b[j])


def _write(pg: Playground, dense, name: str, index: tuple, value: float) -> None:
    array = dense.parameter(name).copy()
    array[index] = value
    dense.assign(name, array)  # checked again (the layer's dtype), then copied in place
    _record_again(pg)


def set_weight(pg: Playground, layer: int, i: int, j: int, value: float) -> None:
    """Set ``W^[layer][i, j]`` to ``value`` (see :func:`get_weight`), in place.

    The network's last recorded losses and gradient norms (``pg.train_loss[-1]``,
    ``pg.test_loss[-1]``, ``pg.grad_norms[-1]``) are computed again for the edited network,
    so that the loss plot shows it; the epoch and the optimizer are unchanged.

    Raises
    ------
    TypeError
        If ``layer``, ``i`` or ``j`` is not an int, or ``value`` not a real number.
    ValueError
        If an index is out of range (the valid ones are named), or ``value`` is nan, inf or
        beyond :data:`WEIGHT_LIMIT`. Nothing changes then.
    """
    dense, i, j = _entry(pg, layer, i, j)
    _write(pg, dense, "W", (i, j), _check_value(value, "a weight"))


def set_bias(pg: Playground, layer: int, j: int, value: float) -> None:
    """Set ``b^[layer][j]`` to ``value``, in place; as :func:`set_weight` otherwise."""
    dense, _, j = _entry(pg, layer, None, j)
    _write(pg, dense, "b", (j,), _check_value(value, "a bias"))


def _record_again(pg: Playground) -> None:
    """The last entry of the losses and gradient norms, for the network as it is now: as
    :class:`Playground` records them after an epoch (the data loss, without penalties)."""
    net, loss = pg.net, pg.loss
    with np.errstate(all="ignore"):
        train = loss.forward(net.forward(pg.inputs_train), pg.targets_train)
        net.backward(loss.backward(), input_grad=False)
        norms = np.array([np.linalg.norm(la.dW) for la in pg.dense])
        test = loss.forward(net.forward(pg.inputs_test, cache=False), pg.targets_test)
    pg.train_loss[-1], pg.test_loss[-1], pg.grad_norms[-1] = train, test, norms


def describe(pg: Playground, layer: int, i, j: int) -> str:
    """``"W^[2] from h1.3 to h2.1"``, or ``"b^[2] of h2.1"`` for ``i`` = :data:`BIAS`."""
    sources, targets = unit_names(pg, layer)
    if i == BIAS:
        return f"b^[{layer}] of {targets[j]}"
    return f"W^[{layer}] from {sources[i]} to {targets[j]}"


def _set_options(menu, options: list, value) -> None:
    """Give the dropdown ``menu`` these options (if they differ) and this value."""
    if [tuple(o) for o in menu.options] != options:
        menu.options = options
    menu.value = value


class WeightEditor:
    """The widget's row to edit one weight: ``layer``, ``from``, ``to``, ``value``, ``set
    weight``.

    Parameters
    ----------
    w : module
        ``ipywidgets``.
    pg : Playground
    status : ipywidgets.HTML
        Where the outcome is written: what changed, or why nothing did.
    lock : threading.RLock
        The widget's lock, held while the weight is written and the figure redrawn.
    player : Player
        Paused (and joined) before a write: a weight is not edited under a training step.
    blocked : callable
        ``blocked()`` is None, or why no weight may be edited now (the divergence message).
    redraw : callable
        Redraws the figure; it should call :meth:`refresh`, which shows the current weight.

    Attributes
    ----------
    layer, source, target : ipywidgets.Dropdown
        The matrix (values ``l`` of :func:`edge_choices`), the unit it comes from (its row
        ``i``, or :data:`BIAS` for the bias ``b^[l][j]``) and the unit it goes to (column
        ``j``), named as in :func:`unit_names`.
    weight : ipywidgets.FloatText
        The chosen weight, updated whenever the choice or the network changes (a value typed
        but not yet set is kept until the choice changes or the network is rebuilt).
    button : ipywidgets.Button
        "set weight": pauses play, writes ``weight.value`` (:func:`set_weight`,
        :func:`set_bias`) and redraws; refused (in ``status``) while ``blocked()`` or for a
        bad value. :func:`~.export.export_code` does not replay such edits: :meth:`export_note`
        lists them for the exported code.
    row : ipywidgets.HBox
    """

    def __init__(self, w, pg: Playground, status, lock, player, *, blocked, redraw) -> None:
        self.pg, self.status, self.lock, self.player = pg, status, lock, player
        self.blocked, self.redraw = blocked, redraw
        self._quiet, self._typed, self._key = False, False, None
        self.edited = []  # (network, epoch, what) of every edit, for the export's note
        self.layer = w.Dropdown(
            description="layer", style=FULL_LABEL, layout=w.Layout(width="auto")
        )
        self.source = w.Dropdown(description="from", layout=w.Layout(width="160px"))
        self.target = w.Dropdown(description="to", layout=w.Layout(width="160px"))
        self.weight = w.FloatText(description="value", layout=w.Layout(width="180px"))
        self.button = w.Button(
            description="set weight",
            tooltip="write this value into the chosen weight (pauses play), then redraw",
            layout=w.Layout(width="auto"),
        )
        for menu in (self.layer, self.source, self.target):
            menu.observe(self._on_choice, names="value")
        self.weight.observe(self._on_type, names="value")
        self.button.on_click(self.set)
        label = w.HTML("<b>edit a weight</b>&nbsp;")
        self.row = w.HBox(
            [label, self.layer, self.source, self.target, self.weight, self.button],
            layout=w.Layout(flex_flow="row wrap", align_items="center"),
        )
        self.refresh()

    def choice(self) -> tuple:
        """``(l, i, j)`` as chosen (``i`` may be :data:`BIAS`)."""
        return self.layer.value, self.source.value, self.target.value

    def current(self) -> float:
        """The value of the chosen weight or bias in the network."""
        k, i, j = self.choice()
        return get_bias(self.pg, k, j) if i == BIAS else get_weight(self.pg, k, i, j)

    def refresh(self, _=None) -> None:
        """Menus for the network as it is (choices kept where they still exist), and the
        chosen weight's current value in ``weight``. A value typed there but not yet set
        stays until the choice or the network (a reset, a new layer...) changes."""
        if self._quiet:
            return
        self._quiet = True
        try:
            layers = edge_choices(self.pg)
            k = self.layer.value if self.layer.value in [v for _, v in layers] else 1
            _set_options(self.layer, layers, k)
            sources, targets = unit_names(self.pg, k)
            i, j = self.source.value, self.target.value
            i = i if i == BIAS or (isinstance(i, int) and i < len(sources)) else 0
            j = j if isinstance(j, int) and j < len(targets) else 0
            _set_options(self.source, [*((n, u) for u, n in enumerate(sources)), (BIAS, BIAS)], i)
            _set_options(self.target, [(n, u) for u, n in enumerate(targets)], j)
            key = (self.pg.net, *self.choice())
            if key != self._key or not self._typed:
                self._key, self._typed = key, False
                self.weight.value = self.current()
        finally:
            self._quiet = False

    def _on_choice(self, _change) -> None:
        with self.lock:
            self.refresh()

    def _on_type(self, _change) -> None:
        if not self._quiet:
            self._typed = True

    def _say(self, message: str, error: bool = False) -> None:
        text = html.escape(message)
        self.status.value = f"<span style='color:#c0392b'>{text}</span>" if error else text

    def set(self, _=None) -> bool:
        """The "set weight" button: pause, then write ``weight.value`` into the chosen weight
        and redraw; or say why not (a divergence, a bad value). True if the weight was set."""
        paused = self.player.playing
        self.player.pause()
        with self.lock:
            why = self.blocked()
            if why:
                self._say(f"No weight can be edited now. {why}", error=True)
                return False
            k, i, j = self.choice()
            old, value = self.current(), self.weight.value
            try:
                if i == BIAS:
                    set_bias(self.pg, k, j, value)
                else:
                    set_weight(self.pg, k, i, j, value)
            except (TypeError, ValueError) as err:
                self._say(f"Nothing changed: {err}", error=True)
                return False
            self._typed = False
            self.redraw()
            new = self.current()
            done = f"Set {describe(self.pg, k, i, j)}: {old:.6g} → {new:.6g}"
            self.edited.append((self.pg.net, self.pg.epoch, done))
            self._say(f"{'Paused at epoch ' + str(self.pg.epoch) + '. ' if paused else ''}{done}.")
        return True

    def export_note(self) -> str:
        """Comment lines for the exported code when the current network was edited by hand
        (the code replays the training only: it does not make those edits)."""
        edits = [(epoch, what) for net, epoch, what in self.edited if net is self.pg.net]
        if not edits:
            return ""
        lines = ["", "# This network was also edited by hand, which the code above does not do:"]
        lines += [f"# at epoch {epoch}: {what}" for epoch, what in edits]
        return "\n".join(lines) + "\n"
