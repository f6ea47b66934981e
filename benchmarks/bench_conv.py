"""Time convcore's fast convolution against PyTorch (CPU, float64) and against the course's loops.

Run from the project root:  .venv/bin/python benchmarks/bench_conv.py [--repeat N] [--threads T]

Prints measured figures only; nothing here is asserted (timed assertions do not belong in tests).
For every workload ``(m, H, W, C_in, C_out, f, s, p)``, plus dilated and grouped (depthwise) ones
``(m, H, W, C_in, C_out, f, s, p, d, g)`` printed in their own table:

- convcore fwd+bwd: :func:`convcore.conv_forward` then :func:`convcore.conv_backward` (scatter form);
- torch fwd+bwd: ``F.conv2d`` forward then autograd backward for the input, weight and bias;
- the rot180 form: :func:`convcore.grad_input_rot180` + :func:`convcore.grad_weight` against
  ``torch.nn.grad.conv2d_input`` + ``torch.nn.grad.conv2d_weight``;
- the loops (:mod:`convcore.naive`, forward + backward) against the fast path, on the small workloads only.

Each time is the best of ``--repeat`` runs (``time.perf_counter``); the runs of the functions being compared
are interleaved, so a burst of load from other processes hits both sides alike. PyTorch runs in the same
process with ``torch.set_num_threads`` set to the thread count NumPy's BLAS uses (printed). ``--threads T``
sets both (OpenBLAS reads its thread count when NumPy is imported, so it is set before that import); on a
machine that is busy with other work, fewer threads give steadier figures.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path


def parse_args():
    parser = argparse.ArgumentParser(description="convcore vs PyTorch vs the loops: fwd+bwd timings")
    parser.add_argument("--repeat", type=int, default=20, help="timed runs per measurement (best is kept)")
    parser.add_argument("--threads", type=int, default=None, help="BLAS / torch threads (default: NumPy's)")
    return parser.parse_args()


ARGS = parse_args()
if ARGS.threads is not None:  # must happen before NumPy (OpenBLAS) is imported
    os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = str(ARGS.threads)

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

import convcore  # noqa: E402
from convcore import naive  # noqa: E402

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # the app never needs torch; the comparison is simply skipped
    torch = None

WORKLOADS = [  # (m, H, W, C_in, C_out, f, s, p)
    (1, 5, 5, 1, 1, 3, 1, 0),
    (1, 28, 28, 1, 8, 3, 1, 1),
    (8, 28, 28, 1, 8, 5, 1, 2),
    (8, 32, 32, 3, 16, 3, 1, 1),
    (8, 32, 32, 8, 16, 3, 2, 1),
    (4, 64, 64, 16, 32, 3, 1, 1),
]
NAIVE_WORKLOADS = {WORKLOADS[0], WORKLOADS[1]}  # the loops are slow: only the single-image ones
DILATED_GROUPED = [  # (m, H, W, C_in, C_out, f, s, p, dilation, groups)
    (8, 32, 32, 8, 16, 3, 1, 2, 2, 1),  # dilated (d = 2, "same" padding)
    (4, 64, 64, 16, 32, 3, 1, 3, 3, 1),  # dilated (d = 3)
    (8, 32, 32, 32, 32, 3, 1, 1, 1, 32),  # depthwise, MobileNet-style
    (8, 32, 32, 32, 64, 3, 2, 1, 1, 32),  # depthwise with channel multiplier 2, stride 2
    (8, 32, 32, 32, 32, 3, 1, 2, 2, 32),  # dilated depthwise
    (8, 32, 32, 16, 32, 3, 1, 1, 1, 4),  # grouped, 4 input channels a group
    (8, 32, 32, 32, 32, 3, 1, 1, 1, 2),  # grouped, 16 input channels a group
]


def blas_threads() -> int:
    """The thread count OpenBLAS picks: ``OPENBLAS_NUM_THREADS`` / ``OMP_NUM_THREADS``, else the usable CPUs."""
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var])
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def best_of(fns, repeat: int) -> list[float]:
    """Best wall time in seconds of ``repeat`` calls of each function, the calls interleaved round by round.

    One untimed warm-up call of each first.
    """
    for fn in fns:
        fn()
    best = [math.inf] * len(fns)
    for _ in range(repeat):
        for k, fn in enumerate(fns):
            t0 = time.perf_counter()
            fn()
            best[k] = min(best[k], time.perf_counter() - t0)
    return best


def to_nchw(X: np.ndarray):
    """NHWC ``(m, H, W, C)`` -> torch NCHW ``(m, C, H, W)``."""
    return torch.from_numpy(np.ascontiguousarray(X.transpose(0, 3, 1, 2)))


def to_oihw(W: np.ndarray):
    """Course ``W (f_H, f_W, C_in, C_out)`` -> torch weight ``(C_out, C_in, f_H, f_W)``."""
    return torch.from_numpy(np.ascontiguousarray(W.transpose(3, 2, 0, 1)))


def make_inputs(workload, rng):
    m, H, W_, C_in, C_out, f, s, p, *dg = workload
    d, g = dg or (1, 1)
    A_prev = rng.standard_normal((m, H, W_, C_in))
    W = rng.standard_normal((f, f, C_in // g, C_out))
    b = rng.standard_normal((1, 1, 1, C_out))
    hp = {"stride": s, "pad": p} | ({"dilation": d, "groups": g} if dg else {})
    e = d * (f - 1) + 1
    n_H, n_W = 1 + (H + 2 * p - e) // s, 1 + (W_ + 2 * p - e) // s
    dZ = rng.standard_normal((m, n_H, n_W, C_out))
    return A_prev, W, b, hp, dZ


def ms(t: float) -> str:
    return f"{t * 1e3:9.3f}"


def main(args) -> None:
    threads = blas_threads()
    print(f"numpy {np.__version__}; BLAS threads assumed: {threads}")
    if torch is None:
        print("torch: not installed, PyTorch comparisons skipped")
    else:
        torch.set_num_threads(threads)
        print(f"torch {torch.__version__}; torch.set_num_threads({threads}), float64, CPU")
    print(f"best of {args.repeat} runs, times in ms\n")

    fb_ratios, rot_ratios = table(args, WORKLOADS, "workload (m,H,W,Cin,Cout,f,s,p)")
    summary("", fb_ratios, rot_ratios)
    print()
    fb_ratios, rot_ratios = table(args, DILATED_GROUPED, "dilated / grouped (...,d,g)")
    summary("dilated and grouped workloads, ", fb_ratios, rot_ratios)


def summary(what: str, fb_ratios: list[float], rot_ratios: list[float]) -> None:
    if fb_ratios:
        geo = math.exp(sum(map(math.log, fb_ratios)) / len(fb_ratios))
        geo_rot = math.exp(sum(map(math.log, rot_ratios)) / len(rot_ratios))
        print(f"\n{what}geometric mean, convcore fwd+bwd / torch fwd+bwd: {geo:.2f}x (target <= 1.0x, 1.5x at most)")
        print(f"{what}geometric mean, rot180 dA + dW / conv2d_input + conv2d_weight: {geo_rot:.2f}x (target within 2x)")
        print(f"{what}worst fwd+bwd ratio: {max(fb_ratios):.2f}x, worst rot180 ratio: {max(rot_ratios):.2f}x")


def table(args, workloads, title: str) -> tuple[list[float], list[float]]:
    """Time every workload, print one row each; returns the fwd+bwd and rot180 ratios to PyTorch."""
    header = (
        f"{title:<42}{'cc fwd+bwd':>11}{'torch':>11}{'ratio':>8}"
        f"{'cc rot180+dW':>14}{'torch grad':>11}{'ratio':>8}{'naive':>11}{'speed-up':>10}"
    )
    print(header)
    print("-" * len(header))
    rng = np.random.default_rng(0)
    fb_ratios, rot_ratios = [], []
    for wl in workloads:
        A_prev, W, b, hp, dZ = make_inputs(wl, rng)
        s, p = hp["stride"], hp["pad"]
        d, groups = hp.get("dilation", 1), hp.get("groups", 1)

        def cc_fwd_bwd(A_prev=A_prev, W=W, b=b, hp=hp, dZ=dZ):
            _, cache = convcore.conv_forward(A_prev, W, b, hp)
            return convcore.conv_backward(dZ, cache)

        def cc_rot180(A_prev=A_prev, W=W, dZ=dZ, hp=hp):
            dA = convcore.grad_input_rot180(A_prev.shape, W, dZ, hp)
            return dA, convcore.grad_weight(A_prev, W.shape, dZ, hp)

        if torch is not None:
            x, w = to_nchw(A_prev), to_oihw(W)
            bt = torch.from_numpy(b.reshape(-1).copy())
            g = to_nchw(dZ)
            kw = dict(stride=s, padding=p, dilation=d, groups=groups)

            def torch_fwd_bwd(x=x, w=w, bt=bt, g=g, kw=kw):
                xr, wr, br = (t.detach().requires_grad_() for t in (x, w, bt))
                F.conv2d(xr, wr, br, **kw).backward(g)
                return xr.grad, wr.grad, br.grad

            def torch_grads(x=x, w=w, g=g, kw=kw):
                dx = torch.nn.grad.conv2d_input(x.shape, w, g, **kw)
                return dx, torch.nn.grad.conv2d_weight(x, w.shape, g, **kw)

            t_cc, t_t, t_rot, t_tg = best_of([cc_fwd_bwd, torch_fwd_bwd, cc_rot180, torch_grads], args.repeat)
            fb_ratios.append(t_cc / t_t)
            rot_ratios.append(t_rot / t_tg)
            row = f"{wl!s:<42}{ms(t_cc):>11}{ms(t_t):>11}{t_cc / t_t:>7.2f}x"
            row += f"{ms(t_rot):>14}{ms(t_tg):>11}{t_rot / t_tg:>7.2f}x"
        else:
            t_cc, t_rot = best_of([cc_fwd_bwd, cc_rot180], args.repeat)
            row = f"{wl!s:<42}{ms(t_cc):>11}{'skipped':>11}{'':>8}{ms(t_rot):>14}{'skipped':>11}{'':>8}"

        if wl in NAIVE_WORKLOADS:

            def naive_fwd_bwd(A_prev=A_prev, W=W, b=b, hp=hp, dZ=dZ):
                _, cache = naive.conv_forward(A_prev, W, b, hp)
                return naive.conv_backward(dZ, cache)

            (t_n,) = best_of([naive_fwd_bwd], max(1, min(args.repeat, 3)))
            row += f"{ms(t_n):>11}{t_n / t_cc:>9.0f}x"
        else:
            row += f"{'-':>11}{'-':>10}"
        print(row)
    return fb_ratios, rot_ratios


if __name__ == "__main__":
    main(ARGS)
