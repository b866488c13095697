"""Code colours: every mark visible against the page, text readable on its tint, pale custom colours
refused with a darker suggestion."""

import pytest

from coding.codebook import MIN_CONTRAST, PALETTE, contrast, readable
from coding.codebook_forms import CodeForm
from tests.factories import make_project

INK = "#1d2330"  # static/css/verbatim.css --ink
TINT = 0.18  # static/css/workspace.css: a mark's background is 18 % of its code's colour


def tint(color: str, share: float = TINT) -> str:
    channels = [int(color[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(255 + (c - 255) * share):02x}" for c in channels)


def test_the_palette_has_24_distinct_colours_each_visible_and_readable_under_text():
    assert len(set(PALETTE)) >= 24
    for color in PALETTE:
        assert contrast(color) >= MIN_CONTRAST, color
        assert contrast(INK, tint(color)) >= 7, color  # AAA for body text on the tint


def test_readable_keeps_a_visible_colour_and_darkens_a_pale_one():
    assert readable("#2d68b0") == "#2d68b0"
    darker = readable("#f2c14e")  # the old default yellow: 1.8:1
    assert contrast("#f2c14e") < MIN_CONTRAST <= contrast(darker)
    assert contrast(darker) < MIN_CONTRAST + 0.3  # no darker than needed


@pytest.mark.django_db
def test_a_pale_custom_colour_is_refused_with_a_suggestion():
    project = make_project("Proximité")
    form = CodeForm({"name": "Soleil", "color": "#ffe066"}, project=project)
    assert not form.is_valid()
    assert readable("#ffe066") in form.errors["color"][0]
    assert CodeForm({"name": "Soleil", "color": readable("#ffe066")}, project=project).is_valid()
