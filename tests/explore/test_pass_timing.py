"""pass_timing: the FLOPs of each pass against the formulas of a ReLU MLP and nnlab.flops,
the achieved rates as FLOPs over the reported times, the bytes each mode keeps, the rates and
samples per second from faked clocks, the three figures and the cost explorer. The networks
are tiny and every timing loop runs once or twice; measured times are never asserted, only
that they are there, positive and finite."""

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_rgba

import nnlab as nl
from nnlab.explore import pass_timing
from nnlab.explore.pass_timing import (
    PHASE_COLORS,
    benchmark_results,
    benchmark_steps,
    cost_explorer,
    gemm_rate,
    pass_costs,
    plot_achieved_rate,
    plot_benchmark,
    plot_cost_split,
    plot_throughput,
    throughput,
)

TIMES = ("forward", "backward", "step")


def mlp_flops(n, n_in, width, depth, n_out):
    """Forward and training backward FLOPs of ``n_in -> width x depth -> n_out`` (ReLU)."""
    matmul = 2 * n * (n_in * width + width * width * (depth - 1) + width * n_out)
    bias = n * (depth * width + n_out)
    relu = n * depth * width  # one comparison per hidden unit, forward and backward
    forward = matmul + bias + relu
    backward = 2 * matmul + bias + relu - 2 * n * n_in * width  # no dX for the input
    return forward, backward


def mlp_params(n_in, width, depth, n_out):
    return n_in * width + width + (depth - 1) * (width * width + width) + width * n_out + n_out


def fake_time_passes(times):
    """A time_passes that records its calls and reports ``times[phase]`` as median and min."""
    calls = []

    def fake(net, loss, X, y, optimizer=None, *, repeats=30, **kwargs):
        calls.append(dict(net=net, loss=loss, X=X, y=y, repeats=repeats, **kwargs))
        return {
            phase: {"median": t, "min": t, "max": t, "samples": np.full(repeats, t)}
            for phase, t in times.items()
        }

    return fake, calls


def dense_shapes(net):
    return [la.W.shape for la in net.layers if isinstance(la, nl.Dense)]


# pass_costs


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_pass_costs_flops_and_parameters_follow_the_formulas(depth):
    widths, batches = (3, 5), (2, 7)
    rows = pass_costs(widths, batches, depth=depth, n_in=6, n_out=4, repeats=1)
    assert [(r["width"], r["batch_size"]) for r in rows] == [(3, 2), (3, 7), (5, 2), (5, 7)]
    for r in rows:
        w, n = r["width"], r["batch_size"]
        assert (r["flops_forward"], r["flops_backward"]) == mlp_flops(n, 6, w, depth, 4)
        assert r["n_params"] == mlp_params(6, w, depth, 4)
        # independently: nnlab.flops of the same network, without the input's gradient
        net = nl.mlp([6] + [w] * depth + [4], "relu", rng=0)
        counted = nl.flops(net, n, input_grad=False)
        assert r["flops_forward"] == sum(c["forward"] for c in counted)
        assert r["flops_backward"] == sum(c["backward"] for c in counted)
        for phase in TIMES:
            assert math.isfinite(r[phase]) and r[phase] > 0
        for phase in ("forward", "backward"):
            rate = r[f"flops_{phase}"] / r[phase] / 1e9
            assert r[f"gflops_{phase}"] == pytest.approx(rate, rel=1e-12)
    # backward costs almost twice forward when the wide hidden products dominate
    big = pass_costs((64,), (32,), depth=3, n_in=4, n_out=4, repeats=1)[0]
    assert 1.9 < big["flops_backward"] / big["flops_forward"] < 2


def test_pass_costs_reports_the_medians_of_time_passes(monkeypatch):
    times = {"forward": 2e-3, "loss": 7.0, "backward": 5e-3, "step": 1e-3}
    fake, calls = fake_time_passes(times)
    monkeypatch.setattr(pass_timing, "time_passes", fake)
    rows = pass_costs((4, 8), (3,), depth=2, n_in=5, n_out=2, dtype=np.float64, repeats=11)
    assert len(calls) == 2
    for row, call, width in zip(rows, calls, (4, 8), strict=True):
        assert call["repeats"] == 11 and isinstance(call["loss"], nl.SoftmaxCrossEntropy)
        net = call["net"]
        assert dense_shapes(net) == [(5, width), (width, width), (width, 2)]
        assert [type(la) for la in net.layers[1::2]] == [nl.ReLU, nl.ReLU]
        assert net.dtype == np.float64 and call["X"].dtype == np.float64
        assert call["X"].shape == (3, 5) and set(call["y"]) <= {0, 1}
        assert net.n_params == row["n_params"]
        assert {p: row[p] for p in TIMES} == {p: times[p] for p in TIMES} and "loss" not in row
        assert row["gflops_forward"] == pytest.approx(row["flops_forward"] / 2e-3 / 1e9)
        assert row["gflops_backward"] == pytest.approx(row["flops_backward"] / 5e-3 / 1e9)


def test_pass_costs_uses_the_requested_dtype(monkeypatch):
    fake, calls = fake_time_passes(dict.fromkeys(("forward", "loss", "backward", "step"), 1.0))
    monkeypatch.setattr(pass_timing, "time_passes", fake)
    pass_costs((4,), (2,), n_in=3, n_out=2)
    (call,) = calls
    assert call["net"].dtype == np.float32 and call["X"].dtype == np.float32  # the default
    assert call["repeats"] == 15


# gemm_rate


def test_gemm_rate_is_positive_and_finite():
    rate = gemm_rate((16, 32), repeats=2)
    assert isinstance(rate, float) and math.isfinite(rate) and rate > 0


def test_gemm_rate_is_the_best_rate_of_timed_square_products(monkeypatch):
    """With a faked clock: the best of ``repeats`` per size, the best over sizes."""
    clock = iter([3.0, 1.0, 2.0, 4.0, 8.0, 6.0])  # seconds; sizes 8 then 16, 3 repeats each
    products = []

    def fake_timed(fn):
        products.append(fn())
        return next(clock)

    monkeypatch.setattr(pass_timing, "_timed", fake_timed)
    rate = gemm_rate((8, 16), dtype=np.float64, repeats=3)
    assert [p.shape for p in products] == [(8, 8)] * 3 + [(16, 16)] * 3
    assert all(p.dtype == np.float64 for p in products)
    assert rate == pytest.approx(max(2 * 8**3 / 1.0, 2 * 16**3 / 4.0) / 1e9)


def test_gemm_rate_times_a_real_matrix_product(monkeypatch):
    products = []

    def fake_timed(fn):
        products.append(np.array(fn()))
        return 1.0

    monkeypatch.setattr(pass_timing, "_timed", fake_timed)
    gemm_rate((6,), repeats=1)
    gen = np.random.default_rng(0)
    A, B = gen.normal(size=(6, 6)).astype(np.float32), gen.normal(size=(6, 6)).astype(np.float32)
    np.testing.assert_allclose(products[0], A.astype(float) @ B.astype(float), rtol=1e-5)


# throughput


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_throughput_keeps_nothing_at_inference_and_every_layer_input_in_training(dtype):
    sizes, batches = (6, 5, 3, 4), (1, 3, 8)
    rows = throughput(sizes, batches, dtype=dtype, repeats=1)
    assert [r["batch_size"] for r in rows] == list(batches)
    itemsize = np.dtype(dtype).itemsize
    for r in rows:
        assert r["inference_kept"] == 0
        # X and each hidden ReLU output (which is the next Dense layer's input)
        assert r["training_kept"] == itemsize * r["batch_size"] * (6 + 5 + 3)
        for mode in ("inference", "training"):
            assert math.isfinite(r[mode]) and r[mode] > 0


def test_throughput_is_samples_over_the_best_times(monkeypatch):
    times = {"forward": 1e-3, "loss": 2e-3, "backward": 3e-3, "step": 4e-3}
    fake, calls = fake_time_passes(times)
    monkeypatch.setattr(pass_timing, "time_passes", fake)
    clock = iter([5e-3, 2e-3, 4e-3, 9e-3, 6e-3, 7e-3])  # predict times, 3 per batch size
    monkeypatch.setattr(pass_timing, "_timed", lambda fn: (fn(), next(clock))[1])
    rows = throughput((4, 3, 2), (2, 10), repeats=3)
    assert [r["inference"] for r in rows] == pytest.approx([2 / 2e-3, 10 / 6e-3])
    assert [r["training"] for r in rows] == pytest.approx([2 / 10e-3, 10 / 10e-3])
    assert [c["X"].shape for c in calls] == [(2, 4), (10, 4)]
    assert all(c["repeats"] == 3 for c in calls)
    assert calls[0]["net"] is calls[1]["net"] and dense_shapes(calls[0]["net"]) == [(4, 3), (3, 2)]


# figures


ROWS = [
    {"flops_forward": 1e4, "flops_backward": 2e4, "gflops_forward": 0.5, "gflops_backward": 0.4},
    {"flops_forward": 1e7, "flops_backward": 2e7, "gflops_forward": 20.0, "gflops_backward": 9.0},
]


def test_plot_achieved_rate():
    _, ax = plt.subplots()
    assert plot_achieved_rate(ROWS, 50.0, ax) is ax
    forward, backward = ax.collections
    np.testing.assert_array_equal(forward.get_offsets(), [[1e4, 0.5], [1e7, 20.0]])
    np.testing.assert_array_equal(backward.get_offsets(), [[2e4, 0.4], [2e7, 9.0]])
    (ceiling,) = ax.lines
    np.testing.assert_array_equal(ceiling.get_ydata(), [50.0, 50.0])
    assert ax.get_xscale() == ax.get_yscale() == "log"
    assert ax.get_xlabel() == "FLOPs of the pass" and ax.get_ylabel() == "achieved GFLOP/s"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["forward", "backward", "matrix product, 50 GFLOP/s"]
    assert len(plot_achieved_rate(ROWS, 1.0).figure.axes) == 1  # its own axes


def test_plot_achieved_rate_of_measured_rows():
    rows = pass_costs((4, 8), (2,), n_in=5, n_out=3, repeats=1)
    ax = plot_achieved_rate(rows, gemm_rate((8,), repeats=1))
    np.testing.assert_allclose(
        ax.collections[1].get_offsets(),
        [[r["flops_backward"], r["gflops_backward"]] for r in rows],
    )


BENCH = {
    "steps": [
        {
            "label": "(a) big",
            "dtype": "float32",
            "threads": 1,
            "timings": {
                "nnlab": {"median": 2e-3},
                "torch": {"median": 3e-3},
                "gemm": {"median": 1e-3},
                "loop": {"median": 4e-2},
            },
        },
        {
            "label": "(b) small",
            "dtype": "float32",
            "threads": 1,
            "timings": {"nnlab": {"median": 1e-4}, "gemm": {"median": 5e-5}},
        },
        {
            "label": "(a) big",
            "dtype": "float64",
            "threads": 1,
            "timings": {"nnlab": {"median": 9.0}},
        },
        {
            "label": "(a) big",
            "dtype": "float32",
            "threads": 2,
            "timings": {"nnlab": {"median": 9.0}},
        },
    ]
}


def test_benchmark_steps_keep_one_dtype_and_thread_count_in_order():
    steps = benchmark_steps(BENCH)
    assert [s["label"] for s in steps] == ["(a) big", "(b) small"]
    assert benchmark_steps(BENCH, dtype="float64")[0]["timings"]["nnlab"]["median"] == 9.0


def test_benchmark_results_reads_the_recorded_run(tmp_path):
    path = tmp_path / "latest.json"
    path.write_text('{"steps": [], "environment": {"cpu": "x"}}', encoding="utf-8")
    assert benchmark_results(path) == {"steps": [], "environment": {"cpu": "x"}}
    recorded = benchmark_results()  # the repository's own file
    assert benchmark_steps(recorded) and "cpu" in recorded["environment"]


def test_plot_benchmark_draws_each_measured_time_with_labels_on_the_y_axis():
    steps = benchmark_steps(BENCH)
    ax = plot_benchmark(steps)
    widths = sorted(round(p.get_width(), 9) for p in ax.patches)
    assert widths == sorted([2.0, 3.0, 1.0, 40.0, 0.1, 0.05])  # milliseconds, measured only
    assert [t.get_text() for t in ax.get_yticklabels()] == ["(a) big", "(b) small"]
    assert ax.get_xscale() == "log" and ax.yaxis_inverted()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == [
        "nnlab",
        "PyTorch (CPU)",
        "its matrix products alone",
        "per-sample Python loop",
    ]


def test_plot_throughput():
    rows = [
        {"batch_size": 1, "inference": 1e3, "training": 2e2},
        {"batch_size": 16, "inference": 5e4, "training": 8e3},
        {"batch_size": 256, "inference": 3e5, "training": 4e4},
    ]
    _, ax = plt.subplots()
    assert plot_throughput(rows, ax) is ax
    infer, train = ax.lines
    np.testing.assert_array_equal(infer.get_xdata(), [1, 16, 256])
    np.testing.assert_array_equal(infer.get_ydata(), [1e3, 5e4, 3e5])
    np.testing.assert_array_equal(train.get_ydata(), [2e2, 8e3, 4e4])
    assert infer.get_label() == "inference" and train.get_label() == "training step"
    assert ax.get_xscale() == ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "16", "256"]
    assert ax.get_ylabel() == "samples per second"


def test_plot_cost_split_shares_sum_to_one():
    row = {
        "forward": 2.0,
        "backward": 5.0,
        "step": 1.0,
        "flops_forward": 300,
        "flops_backward": 500,
    }
    _, axes = plt.subplots(1, 2)
    assert plot_cost_split(row, axes) is axes
    times, flops = ([(p.get_x(), p.get_width()) for p in ax.patches] for ax in axes)
    np.testing.assert_allclose(times, [(0, 2 / 8), (2 / 8, 5 / 8), (7 / 8, 1 / 8)])
    np.testing.assert_allclose(flops, [(0, 3 / 8), (3 / 8, 5 / 8)])
    for ax in axes:
        assert sum(p.get_width() for p in ax.patches) == pytest.approx(1.0)
        assert ax.get_xlim() == (0, 1)
    colors = [PHASE_COLORS[p] for p in ("forward", "backward", "step")]
    for ax, n in ((axes[0], 3), (axes[1], 2)):
        assert [p.get_facecolor() for p in ax.patches] == [to_rgba(c) for c in colors[:n]]
    assert [t.get_text() for t in axes[0].get_legend().get_texts()] == list(TIMES)
    assert axes[1].get_title() == "share of a training step: FLOPs"


def test_plot_cost_split_of_a_measured_row():
    row = pass_costs((8,), (4,), n_in=6, n_out=3, repeats=2)[0]
    axes = plot_cost_split(row)
    for ax in axes:
        assert sum(p.get_width() for p in ax.patches) == pytest.approx(1.0)
    fwd, bwd = (p.get_width() for p in axes[1].patches)
    assert bwd / fwd == pytest.approx(row["flops_backward"] / row["flops_forward"])


# widget


def test_cost_explorer_redraws_with_the_chosen_network(monkeypatch):
    pytest.importorskip("ipywidgets")
    calls = []

    def fake(widths, batch_sizes, *, depth, repeats):
        calls.append((widths, batch_sizes, depth, repeats))
        (w,), (n,) = widths, batch_sizes
        return [
            {
                "forward": float(w),
                "backward": 2.0 * w,
                "step": float(n),
                "flops_forward": depth,
                "flops_backward": 3 * depth,
            }
        ]

    monkeypatch.setattr(pass_timing, "pass_costs", fake)
    box = cost_explorer()
    width, depth, batch = box.children[0].children
    assert list(width.options) == [32, 64, 128, 256, 512, 1024] and width.value == 256
    assert (depth.min, depth.max, depth.value) == (1, 8, 2)
    assert depth.style.description_width == "initial"
    assert list(batch.options) == [1, 8, 32, 128, 512] and batch.value == 32
    assert calls == [((256,), (32,), 2, 7)]

    def last_widths():
        return [[p.get_width() for p in ax.patches] for ax in plt.gcf().axes]

    np.testing.assert_allclose(last_widths()[0], np.array([256, 512, 32]) / 800)
    width.value = 64
    batch.value = 128
    assert calls[-2:] == [((64,), (32,), 2, 7), ((64,), (128,), 2, 7)]
    np.testing.assert_allclose(last_widths()[0], np.array([64, 128, 128]) / 320)
    depth.value = 5
    assert calls[-1] == ((64,), (128,), 5, 7) and len(calls) == 4
    np.testing.assert_allclose(last_widths()[1], [0.25, 0.75])
