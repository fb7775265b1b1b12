"""The book's explorations: one module per idea, each read top to bottom as compute ->
figure -> widget, so the code behind a chapter's figure is one file.

=========================  ===========================  ============================================
module                     chapter                      what it holds
=========================  ===========================  ============================================
``xor_network``            forward-propagation          the 2-2-1 sigmoid network and weights that
                                                        compute XOR, its output surface, 9 sliders
``activation_profiles``    forward-mathematics          f and f' of an activation and where the
                                                        gradient vanishes, their plot, an explorer
``descent``                backprop-introduction        gradient-descent paths, the regime of a
                                                        step size on a quadratic, the 2-D bowl
``backprop_steps``         step-by-step-backprop        every step of a forward and backward pass
                                                        on one sample, recorded as a ``Step``
``network_drawing``        step-by-step-backprop        a network drawn with a number on each unit
                                                        and each edge
``backprop_frames``        step-by-step-backprop        one step drawn, all steps as an animation,
                                                        the step-through widget
``pass_memory``            key-differences              bytes kept by a training and an inference
                                                        pass, their bar chart, an explorer
``modes``                  forward-reverse-modes        the gradient and the Jacobian by forward and
                                                        by reverse mode, their memory, the learning
                                                        slowdown, the modes explorer
``training_runs``          backprop-optimizes           one training run per optimizer setting and
                                                        the Train widget
``flops``                  key-differences              forward and backward FLOPs per layer, their
                                                        bar chart, an explorer
``signal_propagation``     common-challenges            per-layer activation and delta sizes of a
                                                        deep MLP by activation and initialization,
                                                        their plots, the propagation explorer
``deep_training``          common-challenges            deep MLPs trained on the digits from several
                                                        seeds (optionally clipped), band plots
``convolution``            architectures                one convolution on one image: the loop
                                                        definition, output and gradient maps, an
                                                        explorer
``architecture_runs``      architectures                MLPs of several depths, a small CNN and
                                                        MLPs of its parameter budget, scikit-learn,
                                                        trained on the digits from several seeds
``pass_timing``            comparing-performance        FLOPs and times of each pass, the matrix-
                                                        product rate, throughput of inference and
                                                        training, the cost-split explorer
``training_speed``         comparing-performance        batching and optimizers compared by steps
                                                        and by seconds, accuracy against inference
                                                        cost and its Pareto front
``infographic``            infographic                  the two passes side by side, every number
                                                        measured, as one figure, its alt text and
                                                        its table
``deep_networks``          deep-networks                MLP stacks of 100 blocks with and without
                                                        residual connections and LayerNorm: signal
                                                        and gradient by block, training, explorer
``adding_problem``         deep-networks                the adding problem: an Elman RNN and an LSTM
                                                        trained from several seeds, the gradient by
                                                        time step, their plots
``attention_reversal``     deep-networks                a one-block transformer that learns to
                                                        reverse digits, its attention maps and the
                                                        attention explorer
``bridge``                 from-nnlab-to-pytorch        one network trained in nnlab and in PyTorch
                                                        from the same weights, the gap between them,
                                                        the bridge explorer (needs PyTorch)
=========================  ===========================  ============================================

The subpackage :mod:`nnlab.explore.playground` (page book/playground) is the TensorFlow
Playground in a notebook, plus the backward pass: ``from nnlab.explore.playground import
playground``. Its names stay in the subpackage.

Every public name of the modules above is re-exported here: ``from nnlab.explore import
flops_table``. The computations need only NumPy (``bridge`` also PyTorch, imported when
it runs); matplotlib and ipywidgets are imported when a figure or a widget is made. A widget
needs a running kernel; each has a static counterpart in its chapter. Generic plots (decision
boundaries, training curves, animations as HTML) are in :mod:`nnlab.viz`.
"""

from __future__ import annotations

from .activation_profiles import activation_explorer, activation_profile, plot_activation
from .adding_problem import (
    ADDING_BASELINE,
    ADDING_KINDS,
    ADDING_LR,
    ADDING_TUNING_SEEDS,
    adding_data,
    adding_model,
    plot_adding,
    plot_step_norms,
    step_gradient_norms,
    train_adding,
)
from .architecture_runs import (
    budget_models,
    depth_sweep,
    nnlab_vs_sklearn,
    plot_depth_sweep,
    small_cnn,
    train_digits,
)
from .attention_reversal import (
    attention_explorer,
    attention_layer,
    attention_maps,
    attention_view,
    plot_attention,
    plot_reversal_training,
    reversal_accuracy,
    reversal_data,
    reversal_score,
    reversal_transformer,
    train_reversal,
)
from .backprop_frames import draw_step, step_through, steps_animation
from .backprop_steps import Step, backprop_steps, worked_example
from .bridge import BRIDGE_OPTIMIZERS, bridge_explorer, plot_both, train_both
from .convolution import KERNELS, conv_maps, convolution_explorer, plot_conv_maps, sliding_conv
from .deep_networks import (
    KINDS,
    block_profile,
    deep_stack,
    depth_explorer,
    depth_profiles,
    plot_profiles,
    train_stacks,
)
from .deep_training import plot_band, plot_layer_norms, train_deep
from .descent import (
    BOWL,
    bowl_grad,
    bowl_loss,
    descent_explorer,
    descent_path,
    plot_descent,
    quadratic_regime,
)
from .flops import HIDDEN_WIDTHS, flops_explorer, flops_table, plot_flops
from .infographic import (
    draw_infographic,
    infographic_alt,
    infographic_numbers,
    infographic_table,
    save_infographic,
)
from .modes import (
    gradient_cost,
    jacobian_both_ways,
    mode_memory,
    modes_explorer,
    plot_gradient_cost,
    plot_modes,
    plot_slowdown,
    slowdown_runs,
)
from .network_drawing import draw_network, network_layout
from .pass_memory import BATCH_SIZES, memory_explorer, pass_memory, plot_pass_memory
from .pass_timing import (
    cost_explorer,
    gemm_rate,
    pass_costs,
    plot_achieved_rate,
    plot_cost_split,
    plot_throughput,
    throughput,
)
from .signal_propagation import (
    ACTIVATION_NAMES,
    INITS,
    deep_mlp,
    digits,
    init_study,
    layer_statistics,
    plot_layer_histograms,
    plot_propagation,
    propagation_explorer,
)
from .training_runs import DATASETS, OPTIMIZERS, train_run, training_explorer

# training_speed.OPTIMIZERS is not re-exported: OPTIMIZERS here is training_runs' (the Train
# widget's); use nnlab.explore.training_speed.OPTIMIZERS.
from .training_speed import (
    ADAMW_DECAY,
    BATCHING,
    BATCHING_RATES,
    LEARNING_RATES,
    batching_runs,
    optimizer_runs,
    pareto_front,
    plot_curves,
    plot_pareto,
    size_sweep,
    tune_batching,
    tune_learning_rates,
)
from .xor_network import XOR_WEIGHTS, plot_two_two_one, two_two_one, weights_explorer

__all__ = [
    "ACTIVATION_NAMES",
    "ADAMW_DECAY",
    "ADDING_BASELINE",
    "ADDING_KINDS",
    "ADDING_LR",
    "ADDING_TUNING_SEEDS",
    "BATCHING",
    "BATCHING_RATES",
    "BATCH_SIZES",
    "BOWL",
    "BRIDGE_OPTIMIZERS",
    "DATASETS",
    "HIDDEN_WIDTHS",
    "INITS",
    "KERNELS",
    "KINDS",
    "LEARNING_RATES",
    "OPTIMIZERS",
    "XOR_WEIGHTS",
    "Step",
    "activation_explorer",
    "activation_profile",
    "adding_data",
    "adding_model",
    "attention_explorer",
    "attention_layer",
    "attention_maps",
    "attention_view",
    "backprop_steps",
    "batching_runs",
    "block_profile",
    "bowl_grad",
    "bowl_loss",
    "bridge_explorer",
    "budget_models",
    "conv_maps",
    "convolution_explorer",
    "cost_explorer",
    "deep_mlp",
    "deep_stack",
    "depth_explorer",
    "depth_profiles",
    "depth_sweep",
    "descent_explorer",
    "descent_path",
    "digits",
    "draw_infographic",
    "draw_network",
    "draw_step",
    "flops_explorer",
    "flops_table",
    "gemm_rate",
    "gradient_cost",
    "infographic_alt",
    "infographic_numbers",
    "infographic_table",
    "init_study",
    "jacobian_both_ways",
    "layer_statistics",
    "memory_explorer",
    "mode_memory",
    "modes_explorer",
    "network_layout",
    "nnlab_vs_sklearn",
    "optimizer_runs",
    "pareto_front",
    "pass_costs",
    "pass_memory",
    "plot_achieved_rate",
    "plot_activation",
    "plot_adding",
    "plot_attention",
    "plot_band",
    "plot_both",
    "plot_conv_maps",
    "plot_cost_split",
    "plot_curves",
    "plot_depth_sweep",
    "plot_descent",
    "plot_flops",
    "plot_gradient_cost",
    "plot_layer_histograms",
    "plot_layer_norms",
    "plot_modes",
    "plot_pareto",
    "plot_pass_memory",
    "plot_profiles",
    "plot_propagation",
    "plot_reversal_training",
    "plot_slowdown",
    "plot_step_norms",
    "plot_throughput",
    "plot_two_two_one",
    "propagation_explorer",
    "quadratic_regime",
    "reversal_accuracy",
    "reversal_data",
    "reversal_score",
    "reversal_transformer",
    "save_infographic",
    "size_sweep",
    "sliding_conv",
    "slowdown_runs",
    "small_cnn",
    "step_gradient_norms",
    "step_through",
    "steps_animation",
    "throughput",
    "train_adding",
    "train_both",
    "train_deep",
    "train_digits",
    "train_reversal",
    "train_run",
    "train_stacks",
    "training_explorer",
    "tune_batching",
    "tune_learning_rates",
    "two_two_one",
    "weights_explorer",
    "worked_example",
]
