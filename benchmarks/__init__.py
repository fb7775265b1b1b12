"""Benchmark harness for nnlab: ``python -m benchmarks`` (``--quick`` for a smoke run).

Measures, interleaved in one run, nnlab's training step against PyTorch (when installed), the
step's GEMM bound and a per-sample Python loop, for three MLPs and (issue 13) two CNNs and an
RNN; the backward/forward ratio; the end-to-end time to 97% on the digits against
scikit-learn's ``MLPClassifier``; and the peak memory of a step. It writes
``benchmarks/results/latest.{md,json,png}`` and prints PASS/MISS lines for the performance
targets. Not part of the test suite. See ``benchmarks/README.md``.
"""
