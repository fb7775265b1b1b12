"""The benchmark rows (d)-(f) (convolutional and recurrent networks): their networks, the
matrix products of their GEMM bound, the skip when nnlab lacks a layer, the targets and the
report. Nothing here asserts a timing."""

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

import nnlab as nl
from benchmarks import arch_steps, report, steps, suite
from benchmarks.__main__ import parse_args
from benchmarks.config import ARCHS, QUICK, find_shape
from benchmarks.figure import draw
from benchmarks.targets import ARCH_SPEEDUP, evaluate

LATEST = Path(__file__).resolve().parents[1] / "benchmarks" / "results" / "latest.json"
HAS_RNN = hasattr(nl, "RNN")
needs_rnn = pytest.mark.skipif(not HAS_RNN, reason="nnlab.RNN is not exported yet")


def _available(key: str):
    arch = find_shape(key)
    if arch_steps.skip_reason(arch):
        pytest.skip(arch_steps.skip_reason(arch))
    return arch


def test_the_rows_are_the_networks_of_the_issue():
    d, e, f, g, h = ARCHS
    assert (d.key, d.batch, d.family) == ("d", 32, "cnn")
    assert d.description == (
        "1x8x8 -> Conv2D(8, 3x3, pad 1) -> ReLU -> MaxPool2D(2) -> Flatten -> Dense(10), "
        "softmax cross-entropy"
    )
    assert (e.key, e.batch, e.family) == ("e", 64, "cnn")
    assert e.description == (
        "1x28x28 -> Conv2D(16, 3x3, pad 1) -> ReLU -> MaxPool2D(2) -> Conv2D(32, 3x3, pad 1) "
        "-> ReLU -> MaxPool2D(2) -> Flatten -> Dense(10), softmax cross-entropy"
    )
    assert (f.key, f.batch, f.sample, f.family, f.loss) == ("f", 32, (20, 8), "rnn", "mse")
    assert f.description == "20x8 -> RNN(64, tanh, last state) -> Dense(1), MSE"
    assert (g.key, g.batch, g.sample, g.family, g.loss) == ("g", 32, (32, 64), "attention", "ce")
    assert g.description == (
        "32x64 -> transformer block (d_model 64, 4 heads, MLP 256) -> Dense(10), "
        "softmax cross-entropy"
    )
    assert (h.key, h.batch, h.sample, h.family, h.loss) == ("h", 32, (20, 8), "rnn", "mse")
    assert h.description == "20x8 -> LSTM(64, last state) -> Dense(1), MSE"


@pytest.mark.parametrize("key", ["d", "e", "f", "g", "h"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_network_shapes_and_step(key, dtype):
    arch = _available(key)
    X, y = steps.make_batch(arch, dtype, 0)
    assert X.shape == (arch.batch, *arch.sample) and X.dtype == dtype
    net = steps.build_net(arch, dtype, 0)
    A = X
    walked = list(arch_steps.walk(arch))
    for spec, shape_in, shape_out in walked:  # a transformer block is two Residual layers
        assert A.shape[1:] == shape_in
        A = _forward_spec(net, walked, spec, A)
        assert A.shape[1:] == shape_out
    assert A.shape[-1] == arch.n_out
    step = steps.nnlab_step(net, steps.make_loss(arch), X, y)
    losses = [step() for _ in range(3)]
    assert np.all(np.isfinite(losses))
    assert net.flat_params.dtype == dtype
    assert steps.flop_ratio(net, arch.batch, arch.sample) > 1.0


def _forward_spec(net, walked, spec, A):
    """The output of the nnlab layer(s) that ``spec`` of the walk became."""
    index = 0
    for other, _, _ in walked:
        if other is spec:
            break
        index += 2 if other[0] == "block" else 1
    for layer in net.layers[index : index + (2 if spec[0] == "block" else 1)]:
        A = layer.forward(A)
    return A


def _mm_flops(m, k, n):
    return 2 * m * k * n


@pytest.mark.parametrize("key", ["d", "e", "f", "g", "h"])
def test_gemm_bound_issues_the_products_of_the_step(key):
    arch = _available(key)
    run, flops, calls = steps.gemm_bound(arch, "float32", 0)
    run()
    n = arch.batch
    if key == "d":  # conv (no dX: first layer), dense forward, dW, dX
        conv = _mm_flops(8, 9, 8 * 8 * n)
        dense = _mm_flops(n, 128, 10)
        assert (calls, flops) == (5, 2 * conv + 3 * dense)
    elif key == "e":
        conv1 = _mm_flops(16, 9, 28 * 28 * n)
        conv2 = _mm_flops(32, 16 * 9, 14 * 14 * n)
        dense = _mm_flops(n, 32 * 7 * 7, 10)
        assert (calls, flops) == (8, 2 * conv1 + 3 * conv2 + 3 * dense)
    elif key == "g":  # 6 projections (q, k, v, o; the MLP's two), 2 batched products; back
        T, d, heads = 32, 64, 4
        rows, dk = n * T, d // heads
        proj = 4 * _mm_flops(rows, d, d) + 2 * _mm_flops(rows, d, 4 * d)
        attention = n * heads * (2 * _mm_flops(T, dk, T))
        head = _mm_flops(rows, d, 10)
        assert (calls, flops) == (6 + 2 + 12 + 4 + 3, 3 * proj + 3 * attention + 3 * head)
    elif key == "h":  # as the RNN's, four gates wide
        T, n_in, h = 20, 8, 64
        lstm = 2 * _mm_flops(T * n, n_in, 4 * h) + (3 * (T - 1)) * _mm_flops(n, h, 4 * h)
        dense = _mm_flops(n, h, 1)
        assert (calls, flops) == (1 + 19 + 19 + 2 + 3, lstm + 3 * dense)
    else:  # inputs, 19 recurrent steps forward and back, dW_xh, dW_hh; dense
        T, n_in, h = 20, 8, 64
        rnn = 2 * _mm_flops(T * n, n_in, h) + (3 * (T - 1)) * _mm_flops(n, h, h)
        dense = _mm_flops(n, h, 1)
        assert (calls, flops) == (1 + 19 + 19 + 2 + 3, rnn + 3 * dense)


@pytest.mark.parametrize("key", ["d", "e"])
def test_conv_products_use_the_im2col_matrix_nnlab_caches(key):
    arch = _available(key)
    X, _ = steps.make_batch(arch, "float32", 0)
    net = steps.build_net(arch, "float32", 0)
    net.forward(X)
    cols = [la.cached_arrays()[0].shape for la in net.layers if isinstance(la, nl.Conv2D)]
    products = arch_steps.gemm_products(
        arch, arch.batch, lambda *dims: np.ones(dims), lambda *dims: np.empty(dims)
    )
    kinds = [spec[0] for spec in arch.layers if spec[0] in ("conv", "dense")]
    forward = products[: len(kinds)]  # one forward product per conv or dense layer, in order
    assert [b.shape for (_, b, _), kind in zip(forward, kinds, strict=True) if kind == "conv"] == (
        cols
    )


def test_a_row_needing_a_missing_layer_is_skipped(monkeypatch):
    monkeypatch.delattr(nl, "RNN", raising=False)
    messages = []
    shapes, skipped = suite.selected_shapes(["d", "f"], messages.append)
    assert [s.key for s in shapes] == ["d"]
    assert [s["shape"] for s in skipped] == ["f"]
    assert "nnlab.RNN" in skipped[0]["reason"]
    assert any("SKIPPED" in m and "nnlab.RNN" in m for m in messages)


def _tiny():
    return dataclasses.replace(
        QUICK,
        rounds=1,
        samples_per_round=1,
        min_sample_time=0.0,
        settle_time=0.0,
        warmup_time=0.0,
        max_extra_rounds=0,
    )


def _results(steps_rows, checks, skipped, torch="skipped: --no-torch"):
    latest = json.loads(LATEST.read_text(encoding="utf-8"))
    meta = {**latest["meta"], "torch": torch, "only": ["d", "e", "f"]}
    env = {**latest["environment"], "torch": None}
    return {
        "meta": meta,
        "environment": env,
        "steps": steps_rows,
        "checks": checks,
        "skipped_rows": skipped,
        "memory": [],
        "digits": None,
    }


def test_a_minimal_run_reports_the_new_rows(tmp_path, monkeypatch):
    if not HAS_RNN:
        monkeypatch.delattr(nl, "RNN", raising=False)
    rows, checks, skipped = suite.run_steps(
        _tiny(), use_torch=False, log=lambda _: None, keys=["d", "f"]
    )
    assert {r["shape"] for r in rows} | {s["shape"] for s in skipped} == {"d", "f"}
    for r in rows:
        assert r["family"] in ("cnn", "rnn") and r["layers"]
        assert r["gemm_calls"] > 0 and r["nnlab_over_gemm"] > 0
        assert r["torch_over_nnlab"] is None
        assert set(r["timings"]) == {"nnlab", "gemm", "forward", "backward"}
    assert all(c["ok"] for c in checks)
    results = _results(rows, checks, skipped)
    results["targets"] = evaluate(results)
    by_target = {t["target"]: t for t in results["targets"]}
    d_target = by_target["nnlab at least as fast as PyTorch on (d)"]
    assert d_target["status"] == "SKIP" and "not measured" in d_target["measured"]
    assert by_target["(c) nnlab step <= 25 us"]["status"] == "SKIP"
    text = report.markdown(results)
    assert "## Training step: convolutional and recurrent networks" in text
    assert "(d) digits CNN 32 x 1x8x8" in text
    assert "GEMM calls" in text
    assert "Not run (`--only`)." in text
    if skipped:
        assert "Rows not run:" in text and "nnlab.RNN" in text
    draw(results, tmp_path / "fig.png")
    assert (tmp_path / "fig.png").stat().st_size > 0


def test_arch_targets_are_judged_on_pytorch_over_nnlab():
    latest = json.loads(LATEST.read_text(encoding="utf-8"))
    template = next(r for r in latest["steps"] if r["shape"] == "c")
    rows = []
    for key, ratio in zip("def", (1.2, 0.4, 0.9), strict=True):
        rows.append(
            {
                **template,
                "shape": key,
                "label": find_shape(key).label,
                "family": find_shape(key).family,
                "layers": find_shape(key).description,
                "gemm_calls": 5,
                "dtype": "float32",
                "threads": 2,
                "torch_over_nnlab": ratio,
            }
        )
    results = _results(rows, [], [], torch="measured")
    verdicts = {t["target"]: t["status"] for t in evaluate(results)}
    assert verdicts["nnlab at least as fast as PyTorch on (d)"] == "PASS"
    assert verdicts["nnlab at least as fast as PyTorch on (e)"] == "MISS"
    assert verdicts["nnlab at least as fast as PyTorch on (f)"] == "MISS"
    assert ARCH_SPEEDUP == {"d": 1.0, "e": 1.0, "f": 1.0, "g": 1.0, "h": 1.0}
    # Rows (a)-(c) were not run: their targets are not measured, not failed.
    assert verdicts["nnlab >= 2x faster than PyTorch on (a)"] == "SKIP"


def test_results_without_the_new_rows_still_render(tmp_path):
    # A run from before rows (d)-(f) and the playground cycle existed: the committed results
    # with those parts taken out, as the older JSON files have them.
    results = json.loads(LATEST.read_text(encoding="utf-8"))
    results["steps"] = [r for r in results["steps"] if r["shape"] in "abc"]
    results["checks"] = [r for r in results["checks"] if r["shape"] in "abc"]
    for key in ("skipped_rows", "playground"):
        results.pop(key, None)
    results["targets"] = evaluate(results)
    text = report.markdown(results)
    assert "| (b) 256 x 784-1024-1024-10 relu | float32 | 2 |" in text
    assert "convolutional and recurrent" not in text
    assert "SKIP  nnlab at least as fast as PyTorch on (d): not measured" in text
    draw(results, tmp_path / "old.png")


def test_only_selects_rows_and_rejects_unknown_ones(capsys):
    assert parse_args(["--quick", "--only", "d,e,f"]).only == ["d", "e", "f"]
    assert parse_args([]).only is None
    with pytest.raises(SystemExit):
        parse_args(["--only", "d,z"])
    assert "unknown row" in capsys.readouterr().err


@needs_rnn
@pytest.mark.parametrize("key", ["d", "e", "f"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_pytorch_takes_the_same_step(key, dtype):
    pytest.importorskip("torch")
    check = steps.agreement(find_shape(key), dtype, 0, with_torch=True, with_loop=False)
    assert check["ok"], check


def test_the_playground_cycle_is_reported_when_measured():
    results = json.loads(LATEST.read_text(encoding="utf-8"))
    results["targets"] = evaluate(results)
    text = report.markdown(results)
    ms = results["playground"]["cycle_seconds"] * 1e3
    assert f"median: {ms:.1f} ms (target: under 100 ms" in text
    results["playground"] = None
    assert "## Playground: one train-and-redraw cycle\n\nNot run." in report.markdown(results)


def test_the_playground_frame_is_timed_reported_and_judged():
    from benchmarks.playground_frame import FRAME_TARGET, frame_time

    frame = frame_time(repeats=1)
    assert all(frame[k] > 0 for k in ("train", "render", "encode")) and frame["png_bytes"] > 1000
    assert frame["train"] + frame["render"] <= frame["frame"] * 1.01  # the parts of one frame
    results = json.loads(LATEST.read_text(encoding="utf-8"))
    results["playground"] = {"cycle_seconds": 0.01, "frame": {**frame, "frame": 0.1}}
    verdicts = {v["target"]: v for v in evaluate(results)}
    target = f"playground frame (10 epochs, maps, drawing, PNG) <= {FRAME_TARGET * 1e3:g} ms"
    assert verdicts[target]["status"] == "PASS" and verdicts[target]["measured"] == "100.0 ms"
    results["playground"]["frame"]["frame"] = 0.2
    assert {v["target"]: v for v in evaluate(results)}[target]["status"] == "MISS"
    results["targets"] = evaluate(results)
    assert "A whole frame of the widget while it plays" in report.markdown(results)
    results["playground"] = None
    assert {v["target"]: v for v in evaluate(results)}[target]["status"] == "SKIP"
