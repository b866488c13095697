"""The analysis pages: charts as SVG, downloads, bad input, permissions, code all results."""

import csv
import io
import re
import xml.etree.ElementTree as ET

import pytest
from openpyxl import load_workbook

from analysis import charts
from analysis.models import SavedQuery
from coding.models import Coding
from tests.factories import TRANSCRIPT, make_code, make_coding, make_interview

SVG = "{http://www.w3.org/2000/svg}"


def test_bar_widths_and_heights_are_proportional_to_the_counts():
    bars = [charts.Bar("a", 10), charts.Bar("b", 5), charts.Bar("c", 0)]
    for draw, size in ((charts.horizontal_bars, "width"), (charts.vertical_bars, "height")):
        root = ET.fromstring(draw("T", "D", bars))
        assert root.find(f"{SVG}title").text == "T" and root.find(f"{SVG}desc").text == "D"
        rects = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "bar"]
        sizes = [float(r.get(size)) for r in rects]
        assert sizes[0] == pytest.approx(2 * sizes[1]) and sizes[2] == 0


def test_the_portrait_puts_each_passage_at_its_fraction_of_the_text(client, project, scene, rita):
    interview, codes, codings = scene
    client.force_login(rita)
    response = client.get(
        f"/projects/{project.pk}/analysis/interviews/{interview.pk}/portrait/?format=svg"
    )
    root = ET.fromstring(response.content)
    passages = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "passage"]
    assert len(passages) == len(codings)  # none of a code's codings meet another of the same code
    strip = next(r for r in root.iter(f"{SVG}rect") if r.get("fill") == "#f1f2f4")
    left, width = float(strip.get("x")), float(strip.get("width"))
    for rect in passages:
        start, end = int(rect.get("data-start")), int(rect.get("data-end"))
        assert float(rect.get("x")) == pytest.approx(
            left + start / len(TRANSCRIPT) * width, abs=0.01
        )
        assert float(rect.get("width")) == pytest.approx(
            max((end - start) / len(TRANSCRIPT) * width, 0.6), abs=0.01
        )


PAGES = [
    "",
    "cooccurrence/",
    "cooccurrence/?chart=network",
    "crosstab/",
    "speakers/",
    "frequencies/",
    "codeline/",
    "progress/",
    "query/",
]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_answers_a_member(client, project, scene, rita, page):
    client.force_login(rita)
    response = client.get(f"/projects/{project.pk}/analysis/{page}")
    assert response.status_code == 200
    assert b"<svg" in response.content or page in ("", "crosstab/", "speakers/", "query/")


@pytest.mark.parametrize("page", PAGES)
def test_an_outsider_gets_404(client, project, scene, olga, page):
    client.force_login(olga)
    assert client.get(f"/projects/{project.pk}/analysis/{page}").status_code == 404


def test_a_heat_map_cell_links_to_its_excerpts(client, project, scene, rita):
    _interview, codes, _codings = scene
    client.force_login(rita)
    page = client.get(f"/projects/{project.pk}/analysis/cooccurrence/").content.decode()
    a, b = codes["A"].pk, codes["B"].pk
    assert f"code={a}&amp;code={b}&amp;match=all" in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("cooccurrence/?near=-5", "negative"),
        ("cooccurrence/?near=999999", "5"),
        ("cooccurrence/?near=loin", "loin"),
        ("cooccurrence/?code=999999", "999999"),
        ("crosstab/?by=999999", "999999"),
        ("frequencies/?interview=999999", "999999"),
        ("query/?op=and&b=1", "A"),
    ],
)
def test_bad_input_is_named_never_a_500(client, project, scene, rita, query, message):
    client.force_login(rita)
    response = client.get(f"/projects/{project.pk}/analysis/{query}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode() and message in response.content.decode()


def test_another_projects_interview_is_404_for_the_portrait(
    client, project, other_project, olga, scene
):
    interview = scene[0]
    client.force_login(olga)
    assert (
        client.get(
            f"/projects/{other_project.pk}/analysis/interviews/{interview.pk}/portrait/"
        ).status_code
        == 404
    )


def test_an_empty_selection_explains_itself(client, project, rita):
    client.force_login(rita)
    make_code(project, "Seul")
    for page in ("cooccurrence/", "frequencies/", "codeline/", "progress/"):
        content = client.get(f"/projects/{project.pk}/analysis/{page}").content.decode()
        assert 'class="empty"' in content and "<svg" not in content


def test_the_frequencies_download_as_excel_and_csv(client, project, scene, rita):
    _interview, codes, _codings = scene
    codes["A"].name = "=HYPERLINK(1)"
    codes["A"].save()
    client.force_login(rita)
    response = client.get(f"/projects/{project.pk}/analysis/frequencies/?format=xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = {row[0]: row[1:] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["=HYPERLINK(1)"][0] == 3 and rows["Code B"][0] == 3
    assert sheet["A2"].data_type == "s"  # text, never a formula
    text = b"".join(
        client.get(f"/projects/{project.pk}/analysis/frequencies/?format=csv").streaming_content
    )
    lines = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    assert lines[1][:4] == ["'=HYPERLINK(1)", "3", "1", "1"]


def test_the_cooccurrence_pairs_download_and_the_chart_as_svg_and_png(client, project, scene, rita):
    client.force_login(rita)
    url = f"/projects/{project.pk}/analysis/cooccurrence/"
    sheet = load_workbook(
        io.BytesIO(b"".join(client.get(url + "?format=xlsx").streaming_content))
    ).active
    assert {tuple(r[:2]) for r in sheet.iter_rows(min_row=2, values_only=True)} == {
        ("Code A", "Code B"),
        ("Code A", "Code C"),
    }
    svg = client.get(url + "?format=svg")
    assert ET.fromstring(svg.content).tag == f"{SVG}svg"
    png = client.get(url + "?format=png")
    assert png["Content-Type"] == "image/png" and png.content.startswith(b"\x89PNG")


def test_code_all_results_previews_codes_and_undoes(client, project, scene, rita):
    _interview, codes, _codings = scene
    client.force_login(rita)
    query = f"a={codes['A'].pk}&b={codes['B'].pk}&op=and&unit=passages"
    preview = client.get(
        f"/projects/{project.pk}/analysis/query/code/", {"query": query, "new_code": "Ensemble"}
    )
    assert "1 passage" in preview.content.decode() or "1 passage" in preview.content.decode()
    assert not Coding.objects.filter(code__name="Ensemble").exists()
    done = client.post(
        f"/projects/{project.pk}/analysis/query/code/", {"query": query, "new_code": "Ensemble"}
    )
    assert done.status_code == 200
    made = Coding.objects.get(code__name="Ensemble")
    a, b = _codings[0], _codings[1]
    assert (made.start, made.end) == (min(a.start, b.start), max(a.end, b.end))
    group = done.context["group"]
    client.post(f"/projects/{project.pk}/analysis/query/undo/", {"group": group, "query": query})
    assert not Coding.objects.filter(code__name="Ensemble").exists()


def test_a_query_is_saved_and_runs_again(client, project, scene, rita):
    _interview, codes, _codings = scene
    client.force_login(rita)
    query = f"a={codes['A'].pk}&b={codes['C'].pk}&op=near&near=10"
    client.post(
        f"/projects/{project.pk}/analysis/query/save/", {"query": query, "name": "A près de C"}
    )
    saved = SavedQuery.objects.get(project=project)
    page = client.get(f"/projects/{project.pk}/analysis/query/?{saved.query}")
    assert page.context["codings"] == 2


@pytest.mark.parametrize("chart", ["heatmap", "network"])
def test_code_names_with_quotes_and_brackets_keep_the_svg_well_formed(
    client, project, scene, rita, chart
):
    _interview, codes, _codings = scene
    codes["A"].name = 'Le "banc" <public> & co'
    codes["A"].save()
    client.force_login(rita)
    url = f"/projects/{project.pk}/analysis/cooccurrence/?chart={chart}&format=svg"
    root = ET.fromstring(client.get(url).content)
    titles = [t.text for t in root.iter(f"{SVG}title")]
    assert any(t and t.startswith('Le "banc" <public> & co') for t in titles)


def test_the_excerpts_form_keeps_the_position_filters_a_cell_brings(client, project, scene, rita):
    _interview, codes, _codings = scene
    client.force_login(rita)
    a, b = codes["A"].pk, codes["B"].pk
    page = client.get(
        f"/projects/{project.pk}/excerpts/?code={a}&code={b}&match=all&near=paragraph&role=participant"
    ).content.decode()
    assert '<input type="hidden" name="near" value="paragraph">' in page
    assert '<input type="hidden" name="role" value="participant">' in page


def test_a_table_too_long_to_compute_says_so(client, project, scene, rita, monkeypatch):
    from analysis import queries

    monkeypatch.setattr(queries, "STATEMENT_TIMEOUT", "1ms")
    with pytest.raises(queries.TooLong):
        queries._rows("SELECT pg_sleep(0.05)", [])

    def too_long(*args, **kwargs):
        raise queries.TooLong

    monkeypatch.setattr(queries, "cooccurrence", too_long)
    client.force_login(rita)
    response = client.get(f"/projects/{project.pk}/analysis/cooccurrence/")
    assert response.status_code == 503 and 'role="alert"' in response.content.decode()


def test_coding_progress_comes_a_page_of_interviews_at_a_time_and_downloads_whole(
    client, project, scene, rita, sam, monkeypatch
):
    """Each page counts its own interviews as the whole table does; the links keep the filters;
    the download has every interview."""
    first, codes, _codings = scene
    second = make_interview(project, TRANSCRIPT + "\n\nFin.", title="Entretien 2")
    make_coding(second, codes["A"], sam, 0, 40)
    make_coding(second, codes["B"], sam, 20, 60)
    client.force_login(rita)
    url = f"/projects/{project.pk}/analysis/progress/"
    whole = _progress_rows(client.get(url).content.decode())
    assert {row[0] for row in whole} == {"Entretien 1", "Entretien 2"}

    monkeypatch.setattr("analysis.views.INTERVIEWS_PER_PAGE", 1)
    one = client.get(f"{url}?coder={sam.pk}").content.decode()
    assert _progress_rows(one) == [] and "entretiens de cette page" in one  # none of sam's in 1
    assert f'href="?coder={sam.pk}&amp;page=2"' in one and "Page 1 sur 2" in one
    two = client.get(f"{url}?coder={sam.pk}&page=2").content.decode()
    assert _progress_rows(two) == [row for row in whole if row[0] == "Entretien 2"]
    assert 'rel="prev"' in two and 'rel="next"' not in two
    assert _progress_rows(client.get(f"{url}?page=1").content.decode()) == [
        row for row in whole if row[0] == "Entretien 1"
    ]
    download = b"".join(client.get(f"{url}?page=2&format=csv").streaming_content)
    lines = list(csv.reader(io.StringIO(download.decode("utf-8-sig"))))[1:]
    assert sorted((line[0], line[1], line[5]) for line in lines) == sorted(
        (row[0], row[1], row[3]) for row in whole
    )


def _progress_rows(page: str) -> list[list[str]]:
    """The progress table's rows as text: interview, coder, coded (%), codings, and the states."""
    if '<table class="list">' not in page:
        return []
    body = page.split('<table class="list">', 1)[1].split("</table>", 1)[0].split("<tbody>", 1)[1]
    return [
        [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", body)
    ]


def test_every_interviews_portrait_is_listed_a_page_at_a_time(
    client, project, scene, rita, monkeypatch
):
    first = scene[0]
    second = make_interview(project, TRANSCRIPT + "\n\nFin.", title="Entretien 2")
    monkeypatch.setattr("analysis.views.INTERVIEWS_PER_PAGE", 1)
    client.force_login(rita)
    url = f"/projects/{project.pk}/analysis/"
    one, two = (client.get(f"{url}?page={n}").content.decode() for n in (1, 2))
    portrait = f"/projects/{project.pk}/analysis/interviews/{{}}/portrait/"
    assert portrait.format(first.pk) in one and portrait.format(second.pk) not in one
    assert portrait.format(second.pk) in two and portrait.format(first.pk) not in two
    assert 'href="?page=2" rel="next"' in one and 'href="?page=1" rel="prev"' in two


def test_passages_closer_than_a_unit_on_the_drawing_are_drawn_as_one():
    assert charts.drawn([(0, 10), (11, 20), (200, 210), (212, 230)], 0.5) == [
        (0, 20, 2),  # one character apart: half a unit
        (200, 210, 1),
        (212, 230, 1),  # two characters apart: a whole unit
    ]
    lane = charts.Lane("Code A", "#d74242", [(0, 10), (11, 20), (200, 210)], "/i/")
    root = ET.fromstring(charts.strips("T", "D", [charts.Band("E", 1280, [lane])]))
    rects = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "passage"]
    assert [(r.get("data-start"), r.get("data-end")) for r in rects] == [
        ("0", "20"),
        ("200", "210"),
    ]
    assert rects[0].find(f"{SVG}title").text == "Code A: 0–20 (2 passages)"
    links = [a.get("href") for a in root.iter(f"{SVG}a")]
    assert links == ["/i/?at=0-20", "/i/?at=200-210"]
