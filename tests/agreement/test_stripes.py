"""The side by side's stripes are classes with rules of the page's own (no style attribute, which
the Content-Security-Policy refuses): each piece of text names the lanes that code it."""

import re

from agreement import comparison

TEXT = "Pis rien, on se parle poliment."  # 31 code points


def drawn(by_coder, coder_ids, consensus=()):
    found = comparison.regions(by_coder, coder_ids, len(TEXT))
    comparison.attach(found, [], list(consensus))
    used: set[str] = set()
    html = comparison.paragraph_html(0, TEXT, found, coder_ids, used)
    return html, used


def test_each_piece_names_the_lanes_of_the_coders_who_coded_it():
    # Coder 7 codes [0, 20), coder 8 codes [10, 31): three pieces, lanes 0, 0+1, 1.
    html, used = drawn({7: [(1, 0, 20)], 8: [(2, 10, 31)]}, [7, 8])
    pieces = re.findall(r'<mark class="region ([^"]+)"[^>]*>([^<]*)</mark>', html)
    assert [(classes.split()[-1], text) for classes, text in pieces] == [
        ("st-0", TEXT[0:10]),
        ("st-0-1", TEXT[10:20]),
        ("st-1", TEXT[20:31]),
    ]
    assert used == {"st-0", "st-0-1", "st-1"}
    assert "style=" not in html


def test_the_page_rules_put_each_lane_at_its_height_and_the_consensus_last():
    html, used = drawn({7: [(1, 0, 20)], 8: [(2, 0, 20)]}, [7, 8], consensus=[(0, 20)])
    assert used == {"st-0-1-c"}
    css = comparison.stylesheet(2, used)
    assert "#compare-text{--lanes:3}" in css
    rule = re.search(r"#compare-text \.st-0-1-c\{([^}]*)\}", css).group(1)
    assert "var(--lane-0)" in rule and "var(--lane-1)" in rule and "var(--consensus)" in rule
    assert "0 calc(100% - 0px),0 calc(100% - 4px),0 calc(100% - 8px)" in rule


def test_a_ninth_coder_reuses_a_colour_but_keeps_a_lane_of_its_own():
    css = comparison.stylesheet(9, {"st-8"})
    assert "var(--lane-0)" in css and "0 calc(100% - 32px)" in css
    assert comparison.lane_class(8) == "lane-0"
