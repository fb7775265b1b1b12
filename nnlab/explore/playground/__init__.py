"""The TensorFlow Playground in a notebook, plus the backward pass (issue 16).

Compute first, each part tested on its own, then the figures and the widget:

===============  ===================================================================
module           what it holds
===============  ===================================================================
``datasets``     circle, XOR, two Gaussians, spiral, moons; the regression sets
                 plane and multi-Gaussian; the seeded train/test split
``features``     the feature map ``x1, x2, x1^2, x2^2, x1 x2, sin x1, sin x2``
``config``       :class:`PlaygroundConfig`, every setting, validated; the +/- moves
``model``        :class:`Playground`: network, SGD with L1/L2 on the weights,
                 ``step``/``reset``, loss histories, per-layer gradient norms;
                 :class:`HalfSquaredError`, the TensorFlow Playground's loss
``maps``         every unit's activation and delta over a grid of the plane, in one
                 pass; :func:`benchmark_cycle`; :data:`DELTA_TARGET_RULE`, the deltas' targets
``explain``      "show the maths": the forward and backward pass at one point
``export``       the run as a few lines of nnlab code
``labels``       the words and formulas of each output (``"nnlab"``, ``"playground"``)
``scales``       the colours, and the colour ranges of the maps (``shared_scale``)
``drawing``      the network with a heatmap per unit, the output map, the curves
``animation``    :func:`playground_animation`, a training run as an animation
``stored_runs``  :func:`replay`: stored runs to choose and scrub in the rendered book, the
                 widget's static counterpart (no kernel needed)
``player``       the play loop in a thread that stops when its widget is closed or
                 replaced, the divergence check, the loss plot
``widget``       :func:`playground`, the ipywidgets front end
===============  ===================================================================

The computation needs only NumPy; matplotlib and ipywidgets are imported when a figure or the
widget is made.
"""

from __future__ import annotations

from .animation import SPIRAL, playground_animation
from .config import (
    ACTIVATIONS,
    INITS,
    L1_RATES,
    L2_RATES,
    LEARNING_RATES,
    MAX_LAYERS,
    MAX_UNITS,
    OUTPUTS,
    PlaygroundConfig,
)
from .datasets import (
    CLASSIFICATION,
    DATASETS,
    DOMAIN,
    REGRESSION,
    Split,
    load_dataset,
    make_dataset,
    make_gaussians,
    split_dataset,
)
from .drawing import (
    draw_playground,
    draw_unit_network,
    plot_grad_norms,
    plot_losses,
    plot_output,
)
from .explain import explain_point, point_numbers
from .export import export_code
from .features import FEATURES, features
from .maps import DELTA_TARGET_RULE, Maps, benchmark_cycle, cycle, playground_maps
from .model import HalfSquaredError, Playground
from .stored_runs import REPLAY_GRID, record_runs, replay, replay_html
from .widget import playground

__all__ = [
    "ACTIVATIONS",
    "CLASSIFICATION",
    "DATASETS",
    "DELTA_TARGET_RULE",
    "DOMAIN",
    "FEATURES",
    "INITS",
    "L1_RATES",
    "L2_RATES",
    "LEARNING_RATES",
    "MAX_LAYERS",
    "MAX_UNITS",
    "OUTPUTS",
    "REGRESSION",
    "REPLAY_GRID",
    "SPIRAL",
    "HalfSquaredError",
    "Maps",
    "Playground",
    "PlaygroundConfig",
    "Split",
    "benchmark_cycle",
    "cycle",
    "draw_playground",
    "draw_unit_network",
    "explain_point",
    "export_code",
    "features",
    "load_dataset",
    "make_dataset",
    "make_gaussians",
    "playground",
    "playground_animation",
    "playground_maps",
    "plot_grad_norms",
    "plot_losses",
    "plot_output",
    "point_numbers",
    "record_runs",
    "replay",
    "replay_html",
    "split_dataset",
]
