"""The performance targets, judged on the medians of one run: PASS, MISS or SKIP.

Unless stated otherwise a target is judged in float32 with 2 BLAS threads (2 torch threads).
A target whose row was not run (``--only``, a row skipped because nnlab lacks a layer, or
results saved before the row existed) is a SKIP marked "not measured"; so is every PyTorch
target when PyTorch is not installed or ``--no-torch`` is given.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

SPEEDUP = {"a": 2.0, "b": 2.0, "c": 4.0}  # PyTorch's step time / nnlab's
# The convolutional, recurrent and attention rows: nnlab at least as fast as PyTorch CPU
# (PyTorch's step time / nnlab's, at least): (d)-(f) since issue 13, (g) and (h) and the
# stricter (e) since the modern-networks issue.
ARCH_SPEEDUP = {"d": 1.0, "e": 1.0, "f": 1.0, "g": 1.0, "h": 1.0}
GEMM_RATIO_MAX = {"b": 1.15, "e": 1.5}  # nnlab's step time / its GEMM bound
STEP_TIME_MAX = {"c": 25e-6}  # seconds
MEMORY_RATIO_MAX = 1.5  # traced peak of a steady-state step / theoretical minimum
MEMORY_SHAPES = ("a", "b", "c")  # the rows whose memory is traced (the MLPs)
REFERENCE = ("float32", 2)


@dataclass(frozen=True)
class Verdict:
    status: str  # "PASS", "MISS" or "SKIP"
    target: str
    measured: str

    def line(self) -> str:
        return f"{self.status:<4}  {self.target}: {self.measured}"


def _judge(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def _config(row: dict) -> str:
    return f"({row['shape']}) {row['dtype']} {row['threads']} thread(s)"


def _not_run(key: str, not_run: dict[str, str]) -> str:
    return f"not measured: {not_run.get(key, f'row ({key}) not in this run')}"


def _speed(rows: dict, skipped: str | None, not_run: dict[str, str]) -> list[Verdict]:
    verdicts = []
    for key, need in SPEEDUP.items():
        target = f"nnlab >= {need:g}x faster than PyTorch on ({key})"
        if skipped:
            verdicts.append(Verdict("SKIP", target, f"PyTorch {skipped}"))
            continue
        if (key, *REFERENCE) not in rows:
            verdicts.append(Verdict("SKIP", target, _not_run(key, not_run)))
            continue
        ratio = rows[(key, *REFERENCE)]["torch_over_nnlab"]
        verdicts.append(Verdict(_judge(ratio >= need), target, f"{ratio:.2f}x"))
    target = "nnlab no slower than PyTorch in any shape/dtype/thread combination of (a)-(c)"
    if skipped:
        return [*verdicts, Verdict("SKIP", target, f"PyTorch {skipped}")]
    mlp = [r for r in rows.values() if r.get("family", "mlp") == "mlp"]
    if not mlp:
        return [*verdicts, Verdict("SKIP", target, "not measured: no MLP row in this run")]
    slower = [r for r in mlp if r["torch_over_nnlab"] < 1.0]
    worst = min(mlp, key=lambda r: r["torch_over_nnlab"])
    measured = (
        f"slower in {len(slower)} of {len(mlp)}; worst {worst['torch_over_nnlab']:.2f}x "
        f"at {_config(worst)}"
    )
    return [*verdicts, Verdict(_judge(not slower), target, measured)]


def _arch_speed(rows: dict, skipped: str | None, not_run: dict[str, str]) -> list[Verdict]:
    """The targets of rows (d)-(h) against PyTorch."""
    verdicts = []
    for key, need in ARCH_SPEEDUP.items():
        if need == 1.0:
            target = f"nnlab at least as fast as PyTorch on ({key})"
        else:
            target = f"nnlab at least {need:g}x PyTorch's speed on ({key})"
        if (key, *REFERENCE) not in rows:
            verdicts.append(Verdict("SKIP", target, _not_run(key, not_run)))
        elif skipped:
            verdicts.append(Verdict("SKIP", target, f"not measured: PyTorch {skipped}"))
        else:
            ratio = rows[(key, *REFERENCE)]["torch_over_nnlab"]
            measured = f"PyTorch time / nnlab time {ratio:.2f}x"
            verdicts.append(Verdict(_judge(ratio >= need), target, measured))
    return verdicts


def evaluate(results: dict) -> list[dict]:
    """Every target's verdict, as dicts (``status``, ``target``, ``measured``)."""
    rows = {(r["shape"], r["dtype"], r["threads"]): r for r in results["steps"]}
    not_run = {s["shape"]: s["reason"] for s in results.get("skipped_rows", [])}
    torch_status = results["meta"].get("torch", "measured")
    skipped = None if torch_status == "measured" else torch_status
    verdicts = _speed(rows, skipped, not_run)
    verdicts += _arch_speed(rows, skipped, not_run)
    for key, most in GEMM_RATIO_MAX.items():
        target = f"({key}) nnlab step <= {most:g}x its GEMM bound"
        if (key, *REFERENCE) not in rows:
            verdicts.append(Verdict("SKIP", target, _not_run(key, not_run)))
            continue
        ratio = rows[(key, *REFERENCE)]["nnlab_over_gemm"]
        verdicts.append(Verdict(_judge(ratio <= most), target, f"{ratio:.2f}x"))
    for key, most in STEP_TIME_MAX.items():
        target = f"({key}) nnlab step <= {most * 1e6:g} us"
        if (key, *REFERENCE) not in rows:
            verdicts.append(Verdict("SKIP", target, _not_run(key, not_run)))
            continue
        t = rows[(key, *REFERENCE)]["timings"]["nnlab"]["median"]
        verdicts.append(Verdict(_judge(t <= most), target, f"{t * 1e6:.1f} us"))
    memory = {m["shape"]: m for m in results["memory"] if m["dtype"] == REFERENCE[0]}
    for key in MEMORY_SHAPES:
        target = (
            f"({key}) steady-state step peak memory <= {MEMORY_RATIO_MAX:g}x theoretical minimum"
        )
        mem = memory.get(key)
        if mem is None:
            verdicts.append(Verdict("SKIP", target, _not_run(key, not_run)))
            continue
        measured = (
            f"{mem['ratio']:.2f}x ({mem['peak'] / 1e6:.3f} MB vs {mem['minimum_total'] / 1e6:.3f}"
            f" MB; the step allocates {mem['transient'] / mem['parameter_bytes']:.2f}x the "
            "parameter bytes on top of what was alive)"
        )
        verdicts.append(Verdict(_judge(mem["ratio"] <= MEMORY_RATIO_MAX), target, measured))
    verdicts.append(_digits(results.get("digits")))
    verdicts.append(_frame(results.get("playground")))
    return [asdict(v) for v in verdicts]


def _frame(playground: dict | None) -> Verdict:
    from .playground_frame import FRAME_TARGET

    target = f"playground frame (10 epochs, maps, drawing, PNG) <= {FRAME_TARGET * 1e3:g} ms"
    frame = (playground or {}).get("frame")
    if not frame:
        return Verdict("SKIP", target, "not measured: the playground was not run (--only)")
    return Verdict(_judge(frame["frame"] <= FRAME_TARGET), target, f"{frame['frame'] * 1e3:.1f} ms")


def _digits(digits: dict | None) -> Verdict:
    target = "nnlab reaches 97% on digits in less wall time than MLPClassifier"
    if digits is None:
        return Verdict("SKIP", target, "not measured: the digits race was not run (--only)")
    nn, sk = digits["nnlab"], digits.get("sklearn")
    if sk is None:
        return Verdict("SKIP", target, "scikit-learn is not installed")
    if not nn["reached"]:
        return Verdict("MISS", target, "nnlab did not reach 97%")

    def time_of(s: dict) -> str:
        return f"{s['seconds']:.3f} s ({s['epochs']:g} epochs)" if s["reached"] else "not reached"

    ok = not sk["reached"] or nn["seconds"] < sk["seconds"]
    return Verdict(_judge(ok), target, f"nnlab {time_of(nn)} vs sklearn {time_of(sk)}")


def lines(verdicts: list[dict]) -> list[str]:
    """One printable PASS/MISS/SKIP line per target."""
    return [Verdict(**v).line() for v in verdicts]
