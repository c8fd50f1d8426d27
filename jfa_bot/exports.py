"""Exports for organizers: signatures CSV, the hand-over pack, the public count feed.

CSV files are UTF-8 with a byte-order mark, so spreadsheet programs read Arabic and
accents. A withheld name is never written: its row keeps the country and the count only.
Signatures are read a page at a time, so an export never holds the whole list in memory
at once (the files themselves are built in memory; a million rows is tens of megabytes).
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import zipfile
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from jfa_bot.i18n import Translator
from jfa_bot.store import Signature, Store, Visibility, utc_now

__all__ = ["count_feed", "handover_zip", "safe_cell", "signatures_csv"]

BOM = "\ufeff"
# A cell starting with one of these is run as a formula by spreadsheet programs
# (CSV injection): such a cell is written with a leading apostrophe, which they show as text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SIGNATURE_COLUMNS = (
    "number",
    "signed_at",
    "name",
    "organisation",
    "country",
    "country_name",
    "visibility",
    "locale",
    "source",
)
Progress = Callable[[int], Awaitable[None]]
HANDOVER_README = """\
What this pack holds

summary.csv: the number of signatures, in total and by country. This is what is
handed over for every signer.

<country>.csv: the names and organisations of the signers from that country who said
yes, before signing (or later, on a screen of its own), to exactly this question: may
we hand your name and organisation to governments, in a list of signers from your
country? Signers who said no are only in the counts: their name and organisation are
in no file of this pack.

Cells that a spreadsheet would run as a formula start with an apostrophe.
"""


def safe_cell(value: object) -> object:
    """Return a CSV cell that no spreadsheet program evaluates as a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _safe_row(row: Iterable[object]) -> list[object]:
    return [safe_cell(value) for value in row]


def _country_name(code: str) -> str:
    return Translator.for_locale("en").country_name(code)


def _public(signature: Signature) -> tuple[str, str]:
    """Return the name and organisation to export: blank when withheld or anonymised."""
    if signature.visibility is Visibility.WITHHELD:
        return "", ""
    return signature.name or "", signature.organisation or ""


def _row(signature: Signature) -> list[str | int]:
    name, organisation = _public(signature)
    return [
        signature.number,
        signature.signed_at,
        name,
        organisation,
        signature.country,
        _country_name(signature.country),
        signature.visibility.value,
        signature.locale,
        signature.source or "",
    ]


async def _noop(_done: int) -> None:
    return None


async def signatures_csv(store: Store, progress: Progress = _noop) -> bytes:
    """Return every signature as CSV; withheld names and organisations are left blank."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out)
    writer.writerow(SIGNATURE_COLUMNS)
    done = 0
    async for page in store.signatures.iterate():
        # Formatting a page (country names, escaping) is CPU work: off the event loop.
        rows = [_safe_row(_row(signature)) for signature in page]
        await asyncio.to_thread(writer.writerows, rows)
        done += len(page)
        await progress(done)
    return await asyncio.to_thread(lambda: out.getvalue().encode("utf-8"))


async def handover_zip(store: Store, progress: Progress = _noop) -> bytes:
    """Return a zip: one CSV of shown names per country, and a summary with every count."""
    per_country: dict[str, io.StringIO] = {}
    writers: dict[str, Any] = {}  # csv writer objects have no public type
    totals: Counter[str] = Counter()
    withheld: Counter[str] = Counter()
    done = 0
    async for page in store.signatures.iterate():
        for signature in page:
            country = signature.country
            totals[country] += 1
            if signature.visibility is Visibility.WITHHELD or not signature.name:
                withheld[country] += 1
                continue
            if country not in per_country:
                per_country[country] = io.StringIO()
                per_country[country].write(BOM)
                writers[country] = csv.writer(per_country[country])
                writers[country].writerow(("number", "name", "organisation", "signed_at"))
            writers[country].writerow(
                _safe_row(
                    (
                        signature.number,
                        signature.name,
                        signature.organisation or "",
                        signature.signed_at,
                    )
                )
            )
        done += len(page)
        await progress(done)
    summary = io.StringIO()
    summary.write(BOM)
    writer = csv.writer(summary)
    writer.writerow(("country", "country_name", "signatures", "names_shown", "names_withheld"))
    for country, count in sorted(totals.items(), key=lambda item: (-item[1], item[0])):
        shown = count - withheld[country]
        writer.writerow(
            _safe_row((country, _country_name(country), count, shown, withheld[country]))
        )
    # Compressing every country's list is the slow part: off the event loop.
    return await asyncio.to_thread(_zip, summary, per_country)


def _zip(summary: io.StringIO, per_country: dict[str, io.StringIO]) -> bytes:
    """Return the hand-over archive (runs in a worker thread)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", HANDOVER_README.encode("utf-8"))
        archive.writestr("summary.csv", summary.getvalue().encode("utf-8"))
        for country, text in sorted(per_country.items()):
            archive.writestr(f"{country}.csv", text.getvalue().encode("utf-8"))
    return buffer.getvalue()


async def count_feed(store: Store, *, min_count: int = 1) -> bytes:
    """Return the public count as JSON: total, per country, and when it was made.

    Meant to be published: countries with fewer than `min_count` signers are only summed
    in `other_countries` (a country with a lone signer could name them).
    """
    counts = await store.signatures.counts("", top=1000, min_count=min_count)
    listed = dict(counts.top)
    feed = {
        "total": counts.total,
        "countries": listed,
        "other_countries": counts.total - sum(listed.values()),
        "updated": utc_now(),
    }
    return json.dumps(feed, indent=2, sort_keys=True).encode("utf-8")
