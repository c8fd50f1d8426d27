"""Run every benchmark, print the table and write benchmarks/RESULTS.md.

    python -m benchmarks            # the full run (about 20 minutes on 2 cores)
    python -m benchmarks --quick    # smaller sizes, for a quick look

Each figure is reported with a baseline measured in the same run, as a ratio, against
its target. Timings live here, never in tests: these machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import os

from benchmarks import (
    bench_broadcast,
    bench_countries,
    bench_ops,
    bench_realpath,
    bench_signing,
)
from benchmarks.common import HERE, Result, table, versions


async def _all(quick: bool) -> list[Result]:
    # The real path first (own process, real HTTP, latency, limits): the rows of issue 14.
    results = await bench_realpath.run(quick)
    results += await bench_signing.run(quick)
    results.append(bench_broadcast.memory(10_000, 100_000 if quick else 1_000_000))
    results.append(await bench_broadcast.cold_start())
    results += bench_countries.run()
    results += await bench_ops.run(quick)
    return results


def _load(values: tuple[float, float, float]) -> str:
    return "/".join(f"{v:.2f}" for v in values)


def main() -> None:
    """Run the benchmarks and write the report."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    started, load_before = dt.datetime.now(dt.UTC), os.getloadavg()
    results = asyncio.run(_all(args.quick))
    load_after = os.getloadavg()
    report = table(results)
    print(report)
    command = "python -m benchmarks" + (" --quick" if args.quick else "")
    path = HERE / "RESULTS.md"
    # Sections measured separately (## headings, each dated) are kept below the table.
    previous = path.read_text(encoding="utf-8") if path.exists() else ""
    kept = previous[previous.index("\n## ") :] if "\n## " in previous else ""
    path.write_text(
        "# Benchmark results\n\n"
        f"- date: {started:%Y-%m-%d %H:%M}–{dt.datetime.now(dt.UTC):%H:%M} UTC\n"
        f"- machine: {versions()}\n"
        f"- load average (1/5/15 min) at the start: {_load(load_before)}, at the end: "
        f"{_load(load_after)}; the machine is shared with other engineers running tests\n"
        f"- command: `{command}` (from the repository root, after `pip install -e .`)\n\n"
        f"{report}\n{kept}",
        encoding="utf-8",
    )
    met = sum(r.met for r in results)
    print(f"\n{met} of {len(results)} targets met; written to benchmarks/RESULTS.md")


if __name__ == "__main__":
    main()
