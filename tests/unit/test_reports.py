"""The /stats chart: dated days, whole-number counts, Arabic labels, drawn off the event loop."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from jfa_bot.i18n import Translator
from jfa_bot.reports import build_chart, collect_stats, render_chart, stats_text
from jfa_bot.store import CampaignStats, Store
from jfa_bot.store.seed import seed_signatures

TODAY = dt.date.today()


async def thirty_days(store: Store) -> CampaignStats:
    """Seed 30 days of signatures (none on the 13th day) and return the figures."""
    first = 1
    for index in range(30):
        count = 0 if index == 12 else 5 + index
        if count:
            day = TODAY - dt.timedelta(days=29 - index)
            await seed_signatures(store.db, first, count, day.isoformat())
            first += count
    return await collect_stats(store, dt.UTC)


def tick_texts(t: Translator, stats: CampaignStats) -> tuple[list[str], list[str], list[str]]:
    """Draw the chart and return the day axis's labels, the count axis's, the total axis's."""
    figure = build_chart(t, stats, TODAY)
    FigureCanvasAgg(figure).draw()
    days_axis, _countries = figure.axes[:2]
    total_axis = figure.axes[-1]
    return (
        [label.get_text() for label in days_axis.get_xticklabels()],
        [label.get_text() for label in days_axis.get_yticklabels()],
        [label.get_text() for label in total_axis.get_yticklabels()],
    )


async def test_organizer_sees_dated_days_on_the_signatures_axis(store: Store) -> None:
    t = Translator.for_locale("en")
    days, _counts, _totals = tick_texts(t, await thirty_days(store))
    assert days[-1] == t.date(TODAY, "d MMM")  # today is labelled
    first_day = TODAY - dt.timedelta(days=29)
    all_days = {t.date(first_day + dt.timedelta(days=i), "d MMM") for i in range(30)}
    assert 4 <= len(days) <= 8
    assert set(days) <= all_days


async def test_two_signatures_give_whole_number_ticks(store: Store) -> None:
    await seed_signatures(store.db, 1, 2, TODAY.isoformat())
    stats = await collect_stats(store, dt.UTC)
    _days, counts, totals = tick_texts(Translator.for_locale("en"), stats)
    for labels in (counts, totals):
        visible = [label for label in labels if label]
        assert visible == sorted(set(visible), key=int), labels  # no "1, 1, 1, 0, 0"
        assert all(label.isdigit() for label in visible)


async def test_arabic_chart_labels_are_arabic(store: Store) -> None:
    t = Translator.for_locale("ar")
    stats = await thirty_days(store)
    figure = build_chart(t, stats, TODAY)
    FigureCanvasAgg(figure).draw()
    days_axis, countries_axis = figure.axes[:2]
    assert days_axis.get_title() == t.gettext("Signatures per day") != "Signatures per day"
    assert days_axis.get_xticklabels()[-1].get_text() == t.date(TODAY, "d MMM")
    names = {label.get_text() for label in countries_axis.get_yticklabels()}
    assert t.country_name("KE") in names and "Kenya" not in names


async def test_the_chart_is_drawn_while_the_bot_keeps_answering(store: Store) -> None:
    stats = await thirty_days(store)
    turns = 0
    drawing = asyncio.create_task(render_chart(Translator.for_locale("ar"), stats, TODAY))
    while not drawing.done():  # the loop stays free: this coroutine keeps getting turns
        turns += 1
        await asyncio.sleep(0)
    png = drawing.result()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert turns > 10


@pytest.mark.parametrize("locale", ["en", "ar"])
async def test_stats_leave_out_sections_with_nothing_in_them(store: Store, locale: str) -> None:
    t = Translator.for_locale(locale)
    text = stats_text(t, await collect_stats(store, dt.UTC))
    for header in ("Top countries", "Sources", "Referral generations", "Requests by country"):
        assert t.gettext(f"<b>{header}</b>") not in text
    await seed_signatures(store.db, 1, 3, TODAY.isoformat())
    text = stats_text(t, await collect_stats(store, dt.UTC))
    assert t.gettext("<b>Top countries</b>") in text
    assert t.gettext("<b>Requests by country</b>") not in text


async def test_the_first_and_last_days_are_drawn_whole(store: Store) -> None:
    import matplotlib.dates as mdates

    figure = build_chart(Translator.for_locale("en"), await thirty_days(store), TODAY)
    FigureCanvasAgg(figure).draw()
    low, high = figure.axes[0].get_xlim()
    first_day = TODAY - dt.timedelta(days=29)
    assert low <= mdates.date2num(first_day) - 0.4  # each bar is 0.8 of a day wide
    assert high >= mdates.date2num(TODAY) + 0.4
