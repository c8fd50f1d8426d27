"""Tests of the Telegram HTML check."""

from __future__ import annotations

import pytest

from jfa_bot.telegram_html import HtmlParseError, parse_html, parse_html_entities


@pytest.mark.parametrize(
    ("markup", "visible"),
    [
        ("plain text", "plain text"),
        ("<b>bold</b> <strong>s</strong> <i>i</i><em>e</em>", "bold s ie"),
        ("<u>u</u><ins>i</ins><s>s</s><strike>k</strike><del>d</del>", "uiskd"),
        ('<span class="tg-spoiler">x</span><tg-spoiler>y</tg-spoiler>', "xy"),
        ('<a href="https://example.org/?a=1&amp;b=2">link</a>', "link"),
        ("<code>c</code><pre>p</pre>", "cp"),
        ('<pre><code class="language-python">x = 1</code></pre>', "x = 1"),
        ("<blockquote>q</blockquote><blockquote expandable>e</blockquote>", "qe"),
        ('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>', "👍"),
        ("&lt;tag&gt; &amp; &quot;q&quot; &#65;&#x42;", '<tag> & "q" AB'),
        ("Tom & Jerry", "Tom & Jerry"),
        ("<B>upper</B>", "upper"),
        ("<b>nested <i>tags</i></b>", "nested tags"),
    ],
)
def test_allowed_markup(markup: str, visible: str) -> None:
    assert parse_html(markup) == visible


@pytest.mark.parametrize(
    ("markup", "reason", "offset"),
    [
        ("<foo>x</foo>", 'Unsupported start tag "foo"', 0),
        ("ab <div>x</div>", 'Unsupported start tag "div"', 3),
        ("é<br>", 'Unsupported start tag "br"', 2),  # byte offset, not characters
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"', 0),
        ("x</b>", "Unexpected end tag", 1),
        ("<b>x</i>", 'Unmatched end tag, expected "</b>", found "</i>"', 4),
        ("a &nbsp; b", 'Unsupported HTML entity "&nbsp;"', 2),
        ("a <b", "Unclosed start tag", 2),
        ("<a>x</a>", 'Tag "a" must have attribute "href"', 0),
        ('<span class="x">y</span>', 'Tag "span" must have class "tg-spoiler"', 0),
        ("<span>y</span>", 'Tag "span" must have class "tg-spoiler"', 0),
        ("<tg-emoji>y</tg-emoji>", "Custom emoji entity must contain", 0),
        ("1 < 2 > 0", 'Unsupported start tag ""', 2),
    ],
)
def test_refused_markup(markup: str, reason: str, offset: int) -> None:
    with pytest.raises(HtmlParseError) as caught:
        parse_html(markup)
    assert caught.value.reason.startswith(reason)
    assert caught.value.offset == offset
    assert str(caught.value).endswith(f"at byte offset {offset}")


def test_entities_use_utf16_offsets() -> None:
    parsed = parse_html('👍 <b>bold</b> <a href="https://x.org">l</a>')
    assert parsed == "👍 bold l"
    entities = parse_html_entities('👍 <b>bold</b> <a href="https://x.org">l</a>').entities
    assert entities == (
        {"type": "bold", "offset": 3, "length": 4},
        {"type": "text_link", "offset": 8, "length": 1, "url": "https://x.org"},
    )


def test_pre_with_language() -> None:
    entities = parse_html_entities('<pre><code class="language-py">x</code></pre>').entities
    assert {"type": "pre", "offset": 0, "length": 1, "language": "py"} in entities
