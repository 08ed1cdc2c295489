"""Bar charts: accessible, well-formed inline SVG drawn to scale, and the same chart as a Vega-Lite spec."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from dataclasses import asdict, replace

import pytest

from kgpub.resources.charts import SCHEMA, Bar, Chart, compact, svg, vega_lite

SVG = "{http://www.w3.org/2000/svg}"
LOG_NOTE = "Logarithmic scale: each grid line is ten times the one before."

TRADE = Chart(
    id="chart-trade",
    title="Trade between Korea and Japan",
    description="Trade grew from USD 221 million in 1965 to USD 77.2 billion in 2024.",
    scale_note=LOG_NOTE,
    scale="log",
    value_title="Trade value",
    category_title="Year",
    bars=(
        Bar(label="1965", value=221e6, display="USD 221 million", href="/id/observation/trade-1965"),
        Bar(label="2024", value=77.2e9, display="USD 77.2 billion", href="/id/observation/trade-2024"),
    ),
)
INDEX = Chart(
    id="chart-index",
    title="Index by cohort",
    description="The index is 0.25 for the first cohort and 0.42 for the second.",
    scale_note="Linear scale from 0 to 1.",
    domain=(0, 1),
    bars=(
        Bar(label="First cohort", value=0.25, display="0.25", note="234 companies"),
        Bar(label="Second cohort", value=0.42, display="0.42", note="17 companies"),
    ),
)


def parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)  # raises on anything that is not well-formed XML


def texts(root: ET.Element) -> list[ET.Element]:
    return list(root.iter(SVG + "text"))


def text_of(root: ET.Element, content: str) -> ET.Element:
    found = [t for t in texts(root) if t.text == content]
    assert len(found) == 1, f"{content!r} is not one <text> of the chart: {[t.text for t in texts(root)]}"
    return found[0]


def rects(root: ET.Element) -> list[ET.Element]:
    return list(root.iter(SVG + "rect"))


def tick_x(root: ET.Element, tick: str) -> float:
    """Where the grid line of tick ``tick`` is (its text stands centred on it)."""
    element = text_of(root, tick)
    return float(element.attrib["x"])


def test_the_svg_is_an_image_named_by_its_title_and_described_with_its_scale() -> None:
    markup = svg(TRADE, lang="en")
    root = parse(markup)
    assert markup.startswith("<svg ") and "<?xml" not in markup
    assert root.tag == SVG + "svg" and root.attrib["role"] == "img"
    assert root.attrib["aria-labelledby"] == "chart-trade-title chart-trade-desc"
    title, desc = root.find(SVG + "title"), root.find(SVG + "desc")
    assert title is not None and desc is not None
    assert (title.attrib["id"], title.text) == ("chart-trade-title", TRADE.title)
    assert (desc.attrib["id"], desc.text) == ("chart-trade-desc", f"{TRADE.description} {LOG_NOTE}")
    assert list(root)[:2] == [title, desc]  # the accessible name comes first
    width, height = float(root.attrib["width"]), float(root.attrib["height"])
    assert root.attrib["viewBox"] == f"0 0 {root.attrib['width']} {root.attrib['height']}" and width > 0 < height
    assert "CJK" in root.attrib["font-family"]


def test_every_label_value_note_and_the_scale_are_real_text() -> None:
    root = parse(svg(INDEX, lang="en"))
    for bar in INDEX.bars:
        text_of(root, bar.label), text_of(root, bar.display), text_of(root, bar.note)
    text_of(root, INDEX.scale_note)
    assert not list(root.iter(SVG + "tspan"))


def test_nothing_in_the_svg_is_a_link_a_script_a_style_or_an_external_reference() -> None:
    markup = svg(TRADE, lang="en")
    tags = {element.tag.removeprefix(SVG) for element in parse(markup).iter()}
    assert tags <= {"svg", "title", "desc", "g", "path", "rect", "text"}
    for element in parse(markup).iter():
        assert not {"style", "href", "{http://www.w3.org/1999/xlink}href", "class"} & set(element.attrib)
    assert "/id/observation" not in markup and "url(" not in markup and "http://" not in markup.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")


def test_linear_bars_are_proportional_to_their_values_from_zero() -> None:
    chart = Chart(id="c", title="t", description="d", scale_note="Linear scale.", bars=tuple(
        Bar(label=f"b{v}", value=v, display=str(v)) for v in (10.0, 20.0, 35.0)))
    root = parse(svg(chart, lang="en", tick_format=lambda v: f"{v:g}"))
    zero, top = tick_x(root, "0"), tick_x(root, "40")  # 35 rounds up to a grid line at 40
    widths = [float(r.attrib["width"]) for r in rects(root)]
    assert [float(r.attrib["x"]) for r in rects(root)] == [zero] * 3
    assert widths == pytest.approx([(top - zero) * v / 40 for v in (10, 20, 35)], abs=0.1)


def test_a_fixed_domain_is_respected_an_index_on_its_zero_to_one_range() -> None:
    root = parse(svg(INDEX, lang="en"))
    zero, one = tick_x(root, "0"), tick_x(root, "1")
    assert [t.text for t in root.iter(SVG + "text") if t.text in {"0", "0.2", "0.4", "0.6", "0.8", "1"}] == [
        "0", "0.2", "0.4", "0.6", "0.8", "1"]
    widths = [float(r.attrib["width"]) / (one - zero) for r in rects(root)]
    assert widths == pytest.approx([0.25, 0.42], abs=0.001)


def test_a_domain_wider_than_the_values_draws_percentages_on_zero_to_a_hundred() -> None:
    chart = replace(INDEX, domain=(0, 100), bars=(Bar(label="Share", value=47.4, display="47.4%"),))
    root = parse(svg(chart, lang="en"))
    zero, hundred = tick_x(root, "0"), tick_x(root, "100")
    assert float(rects(root)[0].attrib["width"]) / (hundred - zero) == pytest.approx(0.474, abs=0.001)


def test_log_bars_are_proportional_to_the_logarithm_and_ticks_are_powers_of_ten_read_easily() -> None:
    root = parse(svg(TRADE, lang="en"))
    assert [t.text for t in texts(root) if t.text in {"100 M", "1 B", "10 B", "100 B"}] == [
        "100 M", "1 B", "10 B", "100 B"]
    low, high = tick_x(root, "100 M"), tick_x(root, "100 B")
    assert tick_x(root, "1 B") - low == pytest.approx((high - low) / 3, abs=0.1)  # one decade in three
    widths = [float(r.attrib["width"]) / (high - low) for r in rects(root)]
    assert widths == pytest.approx([(math.log10(v) - 8) / 3 for v in (221e6, 77.2e9)], abs=0.001)


def test_a_smallest_log_value_on_a_power_of_ten_keeps_a_visible_bar() -> None:
    chart = replace(TRADE, bars=(Bar(label="a", value=1e8, display="100 million"),
                                 Bar(label="b", value=1e9, display="1 billion")))
    root = parse(svg(chart, lang="en"))
    assert float(rects(root)[0].attrib["width"]) > 0
    assert [t.text for t in texts(root) if t.text in {"10 M", "100 M", "1 B"}] == ["10 M", "100 M", "1 B"]


def test_the_tick_text_comes_from_the_callers_formatter() -> None:
    root = parse(svg(TRADE, lang="ko", tick_format=lambda v: f"{v / 1e8:g}억"))
    assert [t.text for t in texts(root) if t.text and t.text.endswith("억")] == ["1억", "10억", "100억", "1000억"]


def test_negative_values_grow_left_from_zero() -> None:
    chart = Chart(id="c", title="t", description="d", scale_note="Linear scale.", bars=(
        Bar(label="Surplus", value=30.0, display="USD 30"), Bar(label="Deficit", value=-10.0, display="USD −10")))
    root = parse(svg(chart, lang="en", tick_format=lambda v: f"{v:g}"))
    zero, thirty = tick_x(root, "0"), tick_x(root, "30")
    surplus, deficit = rects(root)
    assert float(surplus.attrib["x"]) == pytest.approx(zero)
    assert float(deficit.attrib["x"]) + float(deficit.attrib["width"]) == pytest.approx(zero, abs=0.1)
    assert float(deficit.attrib["width"]) == pytest.approx(float(surplus.attrib["width"]) / 3, abs=0.1)
    assert float(surplus.attrib["width"]) == pytest.approx(thirty - zero, abs=0.1)


def test_a_value_stands_after_a_short_bar_and_in_white_inside_a_bar_that_fills_the_plot() -> None:
    root = parse(svg(TRADE, lang="en"))
    short, full = rects(root)
    after, inside = text_of(root, "USD 221 million"), text_of(root, "USD 77.2 billion")
    assert float(after.attrib["x"]) > float(short.attrib["x"]) + float(short.attrib["width"])
    assert "fill" not in after.attrib  # the chart's dark ink
    end = float(full.attrib["x"]) + float(full.attrib["width"])
    assert float(inside.attrib["x"]) < end and inside.attrib["text-anchor"] == "end" and inside.attrib["fill"] == "#fff"


def test_markup_in_labels_and_titles_stays_text() -> None:
    chart = replace(INDEX, title='A <b> & "c"', description="x < y & z", bars=(
        Bar(label='Cohort <&"> one', value=0.3, display="<0.3>", note="a & b"),))
    markup = svg(chart, lang="en")
    root = parse(markup)
    text_of(root, 'Cohort <&"> one'), text_of(root, "<0.3>"), text_of(root, "a & b")
    title = root.find(SVG + "title")
    assert title is not None and title.text == 'A <b> & "c"'
    assert "<b>" not in markup


def test_a_label_in_another_language_than_the_page_says_so() -> None:
    chart = replace(INDEX, bars=(
        Bar(label="삼성 코호트", value=0.3, display="0.3", lang="ko"),
        Bar(label="Toyota cohort", value=0.4, display="0.4", lang="en"),
        Bar(label="Unknown", value=0.5, display="0.5"),
    ))
    root = parse(svg(chart, lang="en"))
    assert text_of(root, "삼성 코호트").attrib.get("lang") == "ko"
    assert "lang" not in text_of(root, "Toyota cohort").attrib
    assert "lang" not in text_of(root, "Unknown").attrib
    assert "lang" not in parse(svg(chart, lang="ko")).iter(SVG + "text").__next__().attrib


def test_a_long_cohort_name_fits_and_a_longer_one_wraps_then_ends_with_an_ellipsis() -> None:
    fifty = "Korean subsidiaries of Japanese electronics makers"
    assert len(fifty) == 50
    endless = " ".join(["automotive parts suppliers"] * 12)
    japanese = "日本の自動車部品メーカーと韓国の合弁企業" * 6
    chart = replace(INDEX, bars=(
        Bar(label=fifty, value=0.2, display="0.2"),
        Bar(label=endless, value=0.3, display="0.3"),
        Bar(label=japanese, value=0.4, display="0.4", lang="ja"),
    ))
    root = parse(svg(chart, lang="en"))
    text_of(root, fifty)
    wrapped = [line for line in (t.text or "" for t in texts(root)) if "parts" in line]
    assert len(wrapped) == 2 and wrapped[-1].endswith("…")
    assert endless.startswith(" ".join(wrapped).removesuffix("…"))
    lines = [t.text or "" for t in texts(root) if t.attrib.get("lang") == "ja"]
    assert len(lines) == 2 and lines[-1].endswith("…") and japanese.startswith("".join(lines).removesuffix("…"))


def test_a_two_bar_chart_is_small() -> None:
    size = len(svg(TRADE, lang="en").encode("utf-8"))
    assert size < 3000, size


@pytest.mark.parametrize(("value", "text"), [
    (0, "0"), (0.25, "0.25"), (80, "80"), (2500, "2.5 k"), (1e8, "100 M"), (1e9, "1 B"), (1e11, "100 B"),
    (77.2e9, "77.2 B"), (999_999, "1 M"), (-20, "-20"), (3e12, "3 T"),
])
def test_the_default_tick_text_is_compact(value: float, text: str) -> None:
    assert compact(value) == text


@pytest.mark.parametrize("chart", [
    replace(TRADE, bars=(Bar(label="zero", value=0, display="0"),)),  # no logarithm of zero
    replace(INDEX, bars=()),
    replace(INDEX, id="two words"),
    replace(INDEX, scale="sqrt"),
    replace(INDEX, domain=(1, 0)),
    replace(TRADE, domain=(0, 1e9)),
    replace(INDEX, bars=(Bar(label="nan", value=math.nan, display="?"),)),
    replace(INDEX, title=" "),
])
def test_a_chart_that_cannot_be_drawn_honestly_is_refused(chart: Chart) -> None:
    with pytest.raises(ValueError, match="chart"):
        svg(chart, lang="en")


def test_the_vega_lite_spec_holds_the_bars_inline_on_a_log_scale() -> None:
    spec = vega_lite(TRADE)
    assert spec["$schema"] == SCHEMA == "https://vega.github.io/schema/vega-lite/v5.json"
    assert spec["data"] == {"values": [asdict(bar) for bar in TRADE.bars]}
    assert spec["title"] == TRADE.title and spec["description"] == f"{TRADE.description} {LOG_NOTE}"
    assert spec["mark"] == {"type": "bar", "color": "#0b5cad"}
    encoding = spec["encoding"]
    assert isinstance(encoding, dict)
    assert encoding["x"] == {"field": "value", "type": "quantitative", "title": "Trade value", "scale": {"type": "log"}}
    assert encoding["y"] == {"field": "label", "type": "nominal", "sort": None, "title": "Year"}
    assert {"field": "display", "type": "nominal", "title": "Trade value"} in encoding["tooltip"]
    assert encoding["href"] == {"field": "href", "type": "nominal"}
    assert json.loads(json.dumps(spec, ensure_ascii=False)) == spec


def test_the_vega_lite_spec_keeps_a_fixed_domain_and_a_linear_one_has_no_scale() -> None:
    spec = vega_lite(INDEX)
    encoding = spec["encoding"]
    assert isinstance(encoding, dict)
    assert encoding["x"]["scale"] == {"domain": [0, 1]}
    assert "href" not in encoding  # no bar has a page
    free = vega_lite(replace(INDEX, domain=None))["encoding"]
    assert isinstance(free, dict) and "scale" not in free["x"]
    json.dumps(spec)


def test_the_vega_lite_spec_is_refused_for_a_chart_that_cannot_be_drawn() -> None:
    with pytest.raises(ValueError, match="logarithmic"):
        vega_lite(replace(TRADE, bars=(Bar(label="zero", value=0, display="0"),)))
