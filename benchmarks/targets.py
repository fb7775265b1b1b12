"""The performance targets, judged on the medians of one run: PASS, MISS or SKIP.

Unless stated otherwise a target is judged in float32 with 2 BLAS threads (2 torch threads).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

SPEEDUP = {"a": 2.0, "b": 2.0, "c": 4.0}  # PyTorch's step time / nnlab's
GEMM_RATIO_MAX = {"b": 1.15}  # nnlab's step time / its GEMM bound
STEP_TIME_MAX = {"c": 25e-6}  # seconds
MEMORY_RATIO_MAX = 1.5  # traced peak of a steady-state step / theoretical minimum
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


def _speed(rows: dict, skipped: str | None) -> list[Verdict]:
    verdicts = []
    for key, need in SPEEDUP.items():
        target = f"nnlab >= {need:g}x faster than PyTorch on ({key})"
        if skipped:
            verdicts.append(Verdict("SKIP", target, f"PyTorch {skipped}"))
            continue
        ratio = rows[(key, *REFERENCE)]["torch_over_nnlab"]
        verdicts.append(Verdict(_judge(ratio >= need), target, f"{ratio:.2f}x"))
    target = "nnlab no slower than PyTorch in any shape/dtype/thread combination"
    if skipped:
        return [*verdicts, Verdict("SKIP", target, f"PyTorch {skipped}")]
    slower = [r for r in rows.values() if r["torch_over_nnlab"] < 1.0]
    worst = min(rows.values(), key=lambda r: r["torch_over_nnlab"])
    measured = (
        f"slower in {len(slower)} of {len(rows)}; worst {worst['torch_over_nnlab']:.2f}x "
        f"at {_config(worst)}"
    )
    return [*verdicts, Verdict(_judge(not slower), target, measured)]


def evaluate(results: dict) -> list[dict]:
    """Every target's verdict, as dicts (``status``, ``target``, ``measured``)."""
    rows = {(r["shape"], r["dtype"], r["threads"]): r for r in results["steps"]}
    torch_status = results["meta"].get("torch", "measured")
    verdicts = _speed(rows, None if torch_status == "measured" else torch_status)
    for key, most in GEMM_RATIO_MAX.items():
        ratio = rows[(key, *REFERENCE)]["nnlab_over_gemm"]
        target = f"({key}) nnlab step <= {most:g}x its GEMM bound"
        verdicts.append(Verdict(_judge(ratio <= most), target, f"{ratio:.2f}x"))
    for key, most in STEP_TIME_MAX.items():
        t = rows[(key, *REFERENCE)]["timings"]["nnlab"]["median"]
        target = f"({key}) nnlab step <= {most * 1e6:g} us"
        verdicts.append(Verdict(_judge(t <= most), target, f"{t * 1e6:.1f} us"))
    for mem in results["memory"]:
        if mem["dtype"] != REFERENCE[0]:
            continue
        target = (
            f"({mem['shape']}) steady-state step peak memory <= {MEMORY_RATIO_MAX:g}x "
            "theoretical minimum"
        )
        measured = (
            f"{mem['ratio']:.2f}x ({mem['peak'] / 1e6:.3f} MB vs {mem['minimum_total'] / 1e6:.3f}"
            f" MB; the step allocates {mem['transient'] / mem['parameter_bytes']:.2f}x the "
            "parameter bytes on top of what was alive)"
        )
        verdicts.append(Verdict(_judge(mem["ratio"] <= MEMORY_RATIO_MAX), target, measured))
    verdicts.append(_digits(results["digits"]))
    return [asdict(v) for v in verdicts]


def _digits(digits: dict) -> Verdict:
    target = "nnlab reaches 97% on digits in less wall time than MLPClassifier"
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
