"""Organizer reports: the /stats text and its chart, shared by the bot and the CLI.

The chart is drawn with matplotlib's Agg canvas on a `Figure` of its own (never pyplot's
global figures), under a lock, in a worker thread (`render_chart`), so the event loop keeps
serving people while it draws. matplotlib (3.11 and later) lays text out with libraqm, which
joins Arabic letters and orders right-to-left text; the labels are given the locale as their
language and Noto Naskh Arabic as their font.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import math
import threading
from html import escape
from itertools import accumulate
from typing import TYPE_CHECKING

from jfa_bot.content import FONTS_DIR
from jfa_bot.i18n import Translator
from jfa_bot.store import CampaignStats, Store

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["build_chart", "chart_png", "collect_stats", "render_chart", "stats_text"]

_TOP = 10
_MAX_DAYS = 90  # the daily chart shows at most the last 90 days
_MAX_DATE_TICKS = 8
_ARABIC_FONT = FONTS_DIR / "NotoNaskhArabic-Regular.ttf"
# matplotlib's font cache and text layout are not meant for concurrent use: draw one at a time.
_DRAWING = threading.Lock()
_fonts_registered = False


async def collect_stats(store: Store, zone: dt.tzinfo) -> CampaignStats:
    """Return the campaign's figures with "today" in the campaign's time zone."""
    today = dt.datetime.now(zone).date()
    week_start = today - dt.timedelta(days=6)
    return await store.stats.collect(today.isoformat(), week_start.isoformat())


def stats_text(t: Translator, stats: CampaignStats) -> str:
    """Return the /stats message (Telegram HTML); a section with nothing in it is left out."""
    n = t.number
    lines = [
        t.gettext("<b>Campaign figures</b>"),
        t.ngettext("{n} signature", "{n} signatures", stats.total).format(n=n(stats.total)),
        t.gettext("Today: {today} · last 7 days: {week}").format(
            today=n(stats.today), week=n(stats.last_7_days)
        ),
        t.ngettext(
            "{n} signer withheld their name", "{n} signers withheld their name", stats.withheld
        ).format(n=n(stats.withheld)),
        t.gettext("Subscribers: {active} active, {blocked} blocked the bot").format(
            active=n(stats.subscribers), blocked=n(stats.blocked)
        ),
    ]
    direct = t.gettext("(direct)")
    no_country = t.gettext("(no country)")
    names = {"action_pack": t.gettext("Action Pack"), "webinar": t.gettext("Webinar")}
    sections = [
        (
            t.gettext("<b>Top countries</b>"),
            [
                f"{escape(t.country_name(code))}: {n(count)}"
                for code, count in stats.countries[:_TOP]
            ],
        ),
        (
            t.gettext("<b>Sources</b>"),
            [
                f"{escape(source) if source else direct}: {n(count)}"
                for source, count in stats.sources[:_TOP]
            ],
        ),
        (
            t.gettext("<b>Referral generations</b>"),
            [
                t.gettext("Generation {generation}: {n}").format(generation=n(gen), n=n(count))
                for gen, count in stats.generations
            ],
        ),
        (
            t.gettext("<b>Requests by country</b>"),
            [
                f"{names.get(kind, kind)} · "
                f"{escape(t.country_name(country)) if country else no_country}: {n(count)}"
                for kind, country, count in stats.requests
            ],
        ),
    ]
    for header, body in sections:
        if body:
            lines += ["", header, *body]
    return "\n".join(lines)


def _days(stats: CampaignStats, today: dt.date) -> tuple[list[dt.date], list[int], list[int]]:
    """Return every day up to today (days without signatures too), their counts and totals."""
    counts = {dt.date.fromisoformat(day): count for day, count in stats.per_day}
    first = min(counts, default=today)
    start = max(first, today - dt.timedelta(days=_MAX_DAYS - 1))
    before = sum(count for day, count in counts.items() if day < start)
    days = [start + dt.timedelta(days=i) for i in range((max(today, start) - start).days + 1)]
    per_day = [counts.get(day, 0) for day in days]
    totals = [before + total for total in accumulate(per_day)]
    return days, per_day, totals


def _register_fonts() -> None:
    global _fonts_registered
    if not _fonts_registered:
        from matplotlib import font_manager

        font_manager.fontManager.addfont(str(_ARABIC_FONT))
        _fonts_registered = True


def build_chart(t: Translator, stats: CampaignStats, today: dt.date) -> Figure:
    """Draw signatures per day (dated) with the running total, and the top countries."""
    import matplotlib.dates as mdates
    from matplotlib.figure import Figure
    from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

    figure = Figure(figsize=(8, 8), dpi=100, layout="constrained")
    figure.set_facecolor("white")
    days_axis, countries_axis = figure.subplots(2, 1, height_ratios=(3, 2))
    number = FuncFormatter(lambda value, _pos: t.number(int(value)))
    days, per_day, totals = _days(stats, today)

    bars = days_axis.bar(days, per_day, color="#2a6f97", width=0.8)
    days_axis.set_title(t.gettext("Signatures per day"))
    days_axis.yaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    days_axis.yaxis.set_major_formatter(number)
    step = max(1, math.ceil(len(days) / _MAX_DATE_TICKS))
    ticks = [mdates.date2num(day) for day in days[::-1][::step]]  # always label today
    days_axis.xaxis.set_major_locator(FixedLocator(sorted(ticks)))
    days_axis.xaxis.set_major_formatter(
        FuncFormatter(lambda value, _pos: t.date(mdates.num2date(value).date(), "d MMM"))
    )
    days_axis.set_xlim(mdates.date2num(days[0]) - 0.5, mdates.date2num(days[-1]) + 0.5)
    total_axis = days_axis.twinx()
    (line,) = total_axis.plot(days, totals, color="#e07a5f", marker="o", markersize=3)
    total_axis.set_ylim(bottom=0)
    total_axis.yaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    total_axis.yaxis.set_major_formatter(number)
    days_axis.legend(
        [bars, line],
        [t.gettext("Signatures per day"), t.gettext("Total")],
        loc="upper left",
        markerfirst=not t.rtl,
    )

    top = list(stats.countries[:_TOP])[::-1]
    countries_axis.barh(
        [t.country_name(code) for code, _ in top],
        [count for _, count in top],
        color="#81b29a",
    )
    countries_axis.set_title(t.gettext("Top countries"))
    countries_axis.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    countries_axis.xaxis.set_major_formatter(number)
    if t.rtl:  # right to left: names on the right, bars growing leftwards
        countries_axis.invert_xaxis()
        countries_axis.yaxis.tick_right()
    return figure


def chart_png(t: Translator, stats: CampaignStats, today: dt.date) -> bytes:
    """Return the chart as PNG bytes (blocking: call it through `render_chart`)."""
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    # Arabic glyphs from Noto Naskh Arabic, Latin ones from matplotlib's own DejaVu Sans.
    family = ["Noto Naskh Arabic", "DejaVu Sans"] if t.rtl else ["DejaVu Sans"]
    with _DRAWING, rc_context({"font.family": family, "text.language": t.locale}):
        _register_fonts()
        figure = build_chart(t, stats, today)
        FigureCanvasAgg(figure)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
    return buffer.getvalue()


async def render_chart(t: Translator, stats: CampaignStats, today: dt.date) -> bytes:
    """Draw the chart in a worker thread, keeping the event loop free."""
    return await asyncio.to_thread(chart_png, t, stats, today)
