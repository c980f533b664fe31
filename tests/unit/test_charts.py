"""Server-side SVG bar charts: well-formed, named for screen readers, escaped, free of inline styles and scripts."""
import xml.etree.ElementTree as ET

from lms.console.charts import LABEL_WIDTH, Bar, bar_chart

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup):
    return ET.fromstring(str(markup))


def test_a_chart_is_well_formed_svg_with_one_bar_per_value():
    root = parse(bar_chart("c1", "Người bán theo tỉnh", [Bar("Lào Cai", 3, "3"), Bar("Đắk Lắk", 1, "1")]))
    assert root.tag == f"{SVG}svg"
    assert len(root.findall(f"{SVG}g/{SVG}rect")) == 2


def test_a_chart_is_named_and_described_for_screen_readers():
    root = parse(bar_chart("c1", "Certified sellers", [Bar("Lào Cai", 3, "3")]))
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title.text == "Certified sellers" and desc.text == "Lào Cai: 3"
    assert root.get("aria-labelledby").split() == [title.get("id"), desc.get("id")] == ["c1-title", "c1-desc"]


def test_bars_are_scaled_to_the_largest_value_or_a_given_maximum():
    root = parse(bar_chart("c", "t", [Bar("a", 4, "4"), Bar("b", 1, "1")]))
    widths = [float(r.get("width")) for r in root.iter(f"{SVG}rect")]
    assert widths[0] == 4 * widths[1] and widths[0] + LABEL_WIDTH < 640
    half = parse(bar_chart("p", "t", [Bar("a", 50, "50 %")], maximum=100))
    assert float(next(half.iter(f"{SVG}rect")).get("width")) == widths[0] / 2


def test_labels_and_titles_are_escaped():
    markup = bar_chart('x"><script>', "<b>&", [Bar("<script>alert(1)</script>", 1, "1 & 2")])
    root = parse(markup)
    assert "<script>" not in str(markup) and not list(root.iter(f"{SVG}script"))
    assert root.find(f"{SVG}title").text == "<b>&"


def test_no_inline_style_so_the_content_security_policy_allows_it():
    markup = str(bar_chart("c", "t", [Bar("a", 1, "1")]))
    assert "style=" not in markup and "<style" not in markup and "on" + "load" not in markup


def test_an_empty_or_all_zero_chart_is_still_valid():
    for bars in ([], [Bar("a", 0, "0"), Bar("b", 0, "0")]):
        root = parse(bar_chart("c", "Nothing yet", bars))
        assert root.find(f"{SVG}title").text == "Nothing yet"
        assert all(float(r.get("width")) == 0 for r in root.iter(f"{SVG}rect"))


def test_long_labels_are_cut_but_kept_whole_in_the_tooltip():
    label = "Bán hàng qua livestream trên các sàn thương mại điện tử lớn"
    root = parse(bar_chart("c", "t", [Bar(label, 1, "1")]))
    shown = root.find(f"{SVG}g/{SVG}text").text
    assert shown.endswith("…") and len(shown) <= 32
    assert root.find(f"{SVG}g/{SVG}rect/{SVG}title").text == f"{label}: 1"
