"""Server time of a page rerun and the size of the figures the pages send, measured with AppTest.

Prints, for each page at default settings: the first run (cold caches) and the median of warm reruns;
then the largest figure (JSON bytes) at the maximum sizes the controls allow. Figures, no assertions.

Run: .venv/bin/python benchmarks/bench_pages.py
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

PAGES = ["home", "forward", "flip", "matrix", "transposed", "weights", "pooling", "symbolic", "mistakes"]
_SIDEBAR_MAX = {"h": "32", "w": "32", "cin": "4", "cout": "4", "pad": "3"}
# (label, page, query): each page at the largest sizes its controls allow, and the matrix view at its own limits
MAX_QUERIES = [
    ("forward", "forward", _SIDEBAR_MAX | {"kh": "1", "kw": "1"}),
    ("flip", "flip", _SIDEBAR_MAX | {"kh": "1", "kw": "1"}),
    ("matrix: C refused", "matrix", _SIDEBAR_MAX | {"kh": "1", "kw": "1"}),  # im2col still drawn: 1,444 x 4
    ("matrix: largest C drawn", "matrix", {"h": "12", "w": "13"}),  # C 110 x 156 = 17,160 cells (limit 20,000)
    ("matrix: largest C built", "matrix", {"h": "22", "w": "22"}),  # C 400 x 484 = 193,600 entries (limit 250,000)
    ("transposed", "transposed", {"tx_h": "12", "tx_w": "12", "stride": "4", "kh": "7", "kw": "7", "dilation": "3"}),
    ("transposed: channels", "transposed", {"tx_h": "12", "tx_w": "12", "cin": "4", "cout": "4", "stride": "4"}),
    ("weights", "weights", _SIDEBAR_MAX | {"kh": "7", "kw": "7"}),
    ("pooling", "pooling", {"h": "32", "w": "32", "cin": "4"}),
]


def open_page(page: str, query: dict | None = None) -> tuple[AppTest, float]:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    t0 = time.perf_counter()
    if page != "home":
        at.switch_page(f"views/{page}.py")
        at.run()
    return at, time.perf_counter() - t0


def figure_sizes(at: AppTest) -> dict[str, int]:
    return {el.proto.id.rsplit("-", 1)[-1]: len(el.proto.spec.encode()) for el in at.get("plotly_chart")}


def main() -> None:
    print(f"{'page':10s} {'first run ms':>13s} {'warm rerun ms (median of 10)':>30s}")
    for page in PAGES:
        at, first = open_page(page)
        times = []
        for _ in range(10):
            t0 = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - t0)
        print(f"{page:10s} {first * 1e3:13.0f} {statistics.median(times) * 1e3:30.1f}")
    print()
    print(f"{'page at max sizes':26s} {'first run s':>12s} {'largest figure':>28s} {'all figures':>12s}")
    for label, page, query in MAX_QUERIES:
        at, first = open_page(page, query)
        sizes = figure_sizes(at)
        big = max(sizes.items(), key=lambda kv: kv[1]) if sizes else ("-", 0)
        largest = f"{big[1] / 2**20:.2f} MiB ({big[0]})"
        print(f"{label:26s} {first:12.2f} {largest:>28s} {sum(sizes.values()) / 2**20:8.2f} MiB")
    print(json.dumps({"note": "AppTest runs the script in-process: server time only, no network or browser"}))


if __name__ == "__main__":
    main()
