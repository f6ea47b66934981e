"""Time the SymPy derivations: typical cases and the largest ones convcore.symbolic.LIMITS allows.

Run from the repository root: ``.venv/bin/python benchmarks/bench_symbolic.py``. Prints seconds (best of
``REPEATS``) for each step a page performs; no assertions, numbers depend on the machine and its load.
"""

from __future__ import annotations

import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from convcore.symbolic import LIMITS, conv1d_derivation, conv2d_derivation, full_correlation_form  # noqa: E402

REPEATS = 3

CASES = [
    # (label, constructor, args, kwargs)
    ("1D seed [a b c d e] * [x y]", conv1d_derivation, (5, 2), {"names": "seed"}),
    ("1D n=7 k=3 s=2 p=1", conv1d_derivation, (7, 3, 2, 1), {}),
    ("1D largest n=12 k=4 s=1 p=2", conv1d_derivation, (12, 4, 1, 2), {}),
    ("2D 3x3 * 2x2 (d2l corr2d)", conv2d_derivation, ((3, 3), (2, 2)), {}),
    ("2D 5x5 * 3x3 s=2 p=1 1->2 ch", conv2d_derivation, ((5, 5), (3, 3), 2, 1, 1, 2), {}),
    ("2D largest 6x6 * 4x4 s=1 p=2 2->2", conv2d_derivation, ((6, 6), (4, 4), 1, 2, 2, 2), {}),
    (
        "2D largest, convolution",
        conv2d_derivation,
        ((6, 6), (4, 4), 1, 2, 2, 2),
        {"convention": "convolution"},
    ),
    ("2D 6x6 * 3x3 s=1 p=2 2->2", conv2d_derivation, ((6, 6), (3, 3), 1, 2, 2, 2), {}),
]


def best(fn) -> tuple[float, object]:
    """Best wall-clock time of ``REPEATS`` calls, and the last result."""
    times, result = [], None
    for _ in range(REPEATS):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def best_cpu(fn) -> float:
    """Best process CPU time of ``REPEATS`` calls: what the wall time would be on an idle machine."""
    times = []
    for _ in range(REPEATS):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return min(times)


def all_latex(r) -> int:
    lines = r.latex_forward() + r.latex_dx() + r.latex_dw() + r.latex_db() + r.latex_full_form()
    lines += r.latex_dw_form() + r.latex_check()
    lines.append(r.latex_jacobian())
    return sum(len(line) for line in lines)


def main() -> None:
    print(f"LIMITS: {dict(LIMITS)}")
    conv2d_derivation(2, 1)  # import-time and first-call costs out of the way
    header = (
        f"{'case':36s} {'derive':>8s} {'(cpu)':>8s} {'verdict':>8s} {'unflipped':>10s} {'lambdify':>9s} {'eval':>8s} "
        f"{'latex':>8s} {'products':>9s}"
    )
    print(header)
    print("-" * len(header))
    rng = np.random.default_rng(0)
    for label, make, args, kwargs in CASES:
        t_derive, r = best(lambda make=make, args=args, kwargs=kwargs: make(*args, **kwargs))
        cpu_derive = best_cpu(lambda make=make, args=args, kwargs=kwargs: make(*args, **kwargs))
        t_unflipped, _ = best(lambda r=r: full_correlation_form(r, reverse=False))
        t_lambdify, fn = best(r.numeric_function)
        x, w, dz = (rng.normal(size=a.shape) for a in (r.x, r.w, r.dz))
        t_eval, _ = best(lambda fn=fn, x=x, w=w, dz=dz: fn(x, w, dz))
        t_latex, _ = best(lambda r=r: all_latex(r))
        products = sum(len(terms) for terms in r.full.terms)
        print(
            f"{label:36s} {t_derive:8.3f} {cpu_derive:8.3f} {r.verdict!s:>8s} {t_unflipped:10.3f} "
            f"{t_lambdify:9.3f} {t_eval:8.4f} {t_latex:8.3f} {products:9d}"
        )
    print("\nseconds, best of", REPEATS, "| derive: conv*_derivation (forward, chain rule, Jacobian, both proofs)")
    print("(cpu): the same, process CPU time, i.e. the wall time when no other process competes for the CPU")
    print("unflipped: full_correlation_form(r, reverse=False) | lambdify: r.numeric_function() | eval: one call")
    print("latex: every latex_* list plus the Jacobian | products: terms in the full-form correlation")


if __name__ == "__main__":
    main()
