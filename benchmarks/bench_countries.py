"""Country search: cost per typed country, and how often the intended country comes first.

    python -m benchmarks.bench_countries

The search runs on every text typed at the country step, so it must stay cheap: the indexes
are built once per locale (the baseline here), then each search scans them.
"""

from __future__ import annotations

import time

from benchmarks.common import Result, table
from jfa_bot import countries
from tests.unit.test_country_search import QUERIES, accuracy

LOCALES = ("en", "fr", "es", "pt", "ar", "sw")


def run(rounds: int = 20) -> list[Result]:
    """Time the first search per locale (index build) and then each search."""
    for cached in (countries._index, countries._fuzzy_choices, countries._data, countries._codes):
        cached.cache_clear()
    started = time.perf_counter()
    for locale in LOCALES:
        countries.find_country("x", locale)
    build_ms = (time.perf_counter() - started) * 1000 / len(LOCALES)
    started = time.perf_counter()
    for _ in range(rounds):
        for locale, query, _meant in QUERIES:
            countries.find_country(query, locale)
    per_search_ms = (time.perf_counter() - started) * 1000 / (rounds * len(QUERIES))
    right, total, _misses = accuracy()
    return [
        Result(
            "country search, per typed text",
            f"{per_search_ms:.2f} ms",
            f"{build_ms:.0f} ms index build, once per locale",
            f"{build_ms / per_search_ms:.0f}x",
            "< 2 ms",
            per_search_ms < 2,
            f"mean over {rounds}x{total} queries in six languages",
        ),
        Result(
            "country search, intended country first",
            f"{right}/{total} ({right / total:.1%})",
            "-",
            "-",
            ">= 95%",
            right / total >= 0.95,
            "tests/unit/test_country_search.py QUERIES",
        ),
    ]


if __name__ == "__main__":
    print(table(run()))
