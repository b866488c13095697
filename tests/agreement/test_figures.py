"""Figures computed from stored codings (agreement/figures.py) against agreement/metrics.py called
on the same segments, laid end to end by hand."""

import pytest

from agreement import metrics
from agreement.figures import compute
from agreement.selection import Invalid, NotInProject, read_selection
from coding import workspace
from coding.models import CodingRound
from coding.visibility import visible_codings
from interviews.models import Membership
from tests.factories import (
    insert_coding_sql,
    make_code,
    make_coding,
    make_interview,
    make_project,
    make_user,
)

pytestmark = pytest.mark.django_db


def _select(project, coders, **kwargs):
    return read_selection(project, coders=[str(c.pk) for c in coders], **kwargs)


def test_figures_from_stored_codings_equal_the_metrics_on_the_same_segments(
    project, rita, remi, study
):
    one, two = study["interviews"]
    courtois, presence = study["codes"]
    coded = {
        rita: [(one, courtois, 16, 60), (one, courtois, 100, 130), (two, courtois, 40, 90)],
        remi: [(one, courtois, 20, 60), (two, courtois, 45, 95), (two, presence, 5, 25)],
    }
    for coder, rows in coded.items():
        for interview, code, start, end in rows:
            make_coding(interview, code, coder, start, end)

    computed = compute(_select(project, [rita, remi], interviews=[str(one.pk), str(two.pk)]))

    # The continuum: the interviews in title order, "Entretien 1" then "Entretien 2".
    length = one.text_length + two.text_length
    shift = one.text_length

    def laid(coder, code):
        return [
            (s + (shift if interview == two else 0), e + (shift if interview == two else 0))
            for interview, c, s, e in coded[coder]
            if c == code
        ]

    by_code = {code.pk: {c.pk: laid(c, code) for c in (rita, remi)} for code in study["codes"]}
    rows = {row.code.pk: row for row in computed.codes}
    for code in study["codes"]:
        a, b = by_code[code.pk][rita.pk], by_code[code.pk][remi.pk]
        table = metrics.character_table(a, b, length)
        row = rows[code.pk]
        assert row.pairs[0].table == table
        assert row.percent.value == metrics.percent_agreement(table).value
        assert row.kappa.value == metrics.cohen_kappa(table).value
        assert row.kappa.reason == metrics.cohen_kappa(table).reason
        expected_u = metrics.unitized_alpha(by_code[code.pk], length)
        assert row.alpha_u.value == expected_u.value
        assert row.segment.value == metrics.segment_agreement(a, b, length).value
        assert row.coded == {
            rita.pk: sum(e - s for s, e in metrics.union(a, length)),
            remi.pk: sum(e - s for s, e in metrics.union(b, length)),
        }
    # Présence: rita never applied it, so κ is undefined (not 0) and says why; uα is defined.
    assert rows[presence.pk].kappa.value is None
    assert rows[presence.pk].kappa.reason == metrics.CODER_CODED_NOTHING
    assert rows[presence.pk].alpha_u.value is not None

    overall = metrics.unitized_alpha_by_code(by_code, [rita.pk, remi.pk], length)
    assert computed.overall.alpha_u.value == overall.value
    pooled = sum((row.pairs[0].table for row in computed.codes), metrics.Table())
    assert computed.overall.kappa.value == metrics.cohen_kappa(pooled).value
    assert computed.overall.percent.value == metrics.percent_agreement(pooled).value
    segments = {
        code.pk: metrics.segment_agreement(
            by_code[code.pk][rita.pk], by_code[code.pk][remi.pk], length
        )
        for code in study["codes"]
    }
    assert computed.overall.segment_kappa.value == metrics.segment_kappa(segments, codes=2).value
    assert computed.codings == 6


def test_presence_alpha_counts_the_interviews_paragraphs(project, rita, remi, study):
    one, two = study["interviews"]
    courtois = study["codes"][0]
    make_coding(one, courtois, rita, 16, 60)  # first paragraph of the interviewer
    make_coding(one, courtois, remi, 20, 40)
    make_coding(two, courtois, remi, 40, 60)
    chosen = _select(project, [rita, remi], interviews=[str(one.pk), str(two.pk)])
    computed = compute(chosen)
    row = next(r for r in computed.codes if r.code == courtois)
    # The same α from every paragraph the workspace shows, each as a row of its own.
    shift = one.text_length
    bounds = [(p.start, p.start + len(p.text)) for p in workspace.paragraphs(one).items] + [
        (p.start + shift, p.start + len(p.text) + shift) for p in workspace.paragraphs(two).items
    ]
    data = metrics.presence_data(
        {rita.pk: [(16, 60)], remi.pk: [(20, 40), (40 + shift, 60 + shift)]},
        bounds,
        chosen.length,
    )
    assert len(bounds) == row.presence_units == 10  # five paragraphs in each interview
    assert row.alpha_nominal.value == metrics.alpha_nominal(data).value


def test_identical_codings_agree_perfectly(project, rita, remi, study):
    one = study["interviews"][0]
    code = study["codes"][0]
    for coder in (rita, remi):
        make_coding(one, code, coder, 16, 60)
        make_coding(one, code, coder, 100, 130)
    computed = compute(_select(project, [rita, remi], interviews=[str(one.pk)]))
    row = next(r for r in computed.codes if r.code == code)
    assert row.percent.value == row.kappa.value == row.alpha_u.value == row.segment.value == 1.0
    assert row.alpha_nominal.value == 1.0
    assert row.kappa.band == "reliable"
    # The code nobody applied: undefined, with the reason, never 0 or 1.
    unused = next(r for r in computed.codes if r.code != code)
    assert unused.kappa.value is None and unused.kappa.reason == metrics.NO_VARIATION
    assert unused.alpha_u.value is None and unused.alpha_u.reason == metrics.NOBODY_CODED


def test_with_three_coders_figures_are_the_mean_over_the_pairs(project, rita, remi, sam, study):
    one = study["interviews"][0]
    code = study["codes"][0]
    make_coding(one, code, rita, 16, 60)
    make_coding(one, code, remi, 20, 60)
    make_coding(one, code, sam, 16, 40)
    make_coding(one, code, sam, 100, 130)  # a paragraph only sam coded
    computed = compute(_select(project, [rita, remi, sam], interviews=[str(one.pk)]))
    row = next(r for r in computed.codes if r.code == code)
    assert [(p.first, p.second) for p in row.pairs] == [(rita, remi), (rita, sam), (remi, sam)]
    kappas = [metrics.cohen_kappa(p.table).value for p in row.pairs]
    assert row.kappa.value == pytest.approx(sum(kappas) / 3)
    paragraphs = [(p.start, p.start + len(p.text)) for p in workspace.paragraphs(one).items]
    data = metrics.presence_data(
        {rita.pk: [(16, 60)], remi.pk: [(20, 60)], sam.pk: [(16, 40), (100, 130)]},
        paragraphs,
        one.text_length,
    )
    assert row.alpha_nominal.value is not None
    assert row.alpha_nominal.value == metrics.alpha_nominal(data).value
    assert len(computed.as_json()["overall"]["pairs"]) == 3


def test_a_round_with_a_reference_coder_compares_each_coder_with_it(
    project, rita, remi, sam, study
):
    one = study["interviews"][0]
    round_ = CodingRound.objects.create(project=project, name="Formation", reference_coder=sam)
    round_.coders.set([rita, remi, sam])
    round_.interviews.set([one])
    chosen = read_selection(project, round_id=str(round_.pk))
    assert chosen.reference == sam
    row = compute(chosen).codes[0]  # any code: the pairs are the same for each
    assert [(p.first, p.second) for p in row.pairs] == [(sam, remi), (sam, rita)]


def test_a_blind_coder_computes_figures_from_what_they_may_see(project, rita, remi, study):
    one = study["interviews"][0]
    code = study["codes"][0]
    make_coding(one, code, rita, 16, 60)
    make_coding(one, code, remi, 20, 60)
    round_ = CodingRound.objects.create(project=project, name="Aveugle")
    round_.coders.set([rita, remi])
    round_.interviews.set([one])
    seen = visible_codings(Membership.objects.get(project=project, user=rita))
    computed = compute(_select(project, [rita, remi], interviews=[str(one.pk)], seen=seen))
    row = next(r for r in computed.codes if r.code == code)
    assert row.coded[rita.pk] == 44
    assert row.coded[remi.pk] == 0  # remi's coding is not hers to see while the round is open


def test_bad_selections_say_why(project, rita, remi, study, other_project, olga, english):
    one = study["interviews"][0]
    with pytest.raises(Invalid, match="at least two coders"):
        _select(project, [rita], interviews=[str(one.pk)])
    with pytest.raises(Invalid, match="olga is not a member"):
        read_selection(project, coders=["rita", "olga"], by_username=True)
    with pytest.raises(NotInProject):
        _select(project, [rita, remi], interviews=[str(make_interview(other_project).pk)])
    with pytest.raises(NotInProject):
        _select(project, [rita, remi], codes=[str(make_code(other_project).pk)])
    with pytest.raises(NotInProject):
        read_selection(project, round_id="999999")
    with pytest.raises(Invalid, match="coded by each"):
        _select(project, [rita, remi])  # nobody coded anything yet
    with pytest.raises(Invalid, match="overlap"):
        _select(project, [rita, remi], interviews=[str(one.pk)], overlap="150")


def test_a_round_whose_coders_left_says_so(project, rita, remi, study, english):
    round_ = CodingRound.objects.create(project=project, name="Départs")
    round_.coders.set([rita, remi])
    round_.interviews.set(study["interviews"])
    Membership.objects.filter(user=remi).delete()
    with pytest.raises(Invalid, match="Fewer than two"):
        read_selection(project, round_id=str(round_.pk))
    third = make_user("rose", project, Membership.Role.RESEARCHER)
    round_.coders.add(third)
    chosen = read_selection(project, round_id=str(round_.pk))
    assert chosen.coders == [rita, third]
    assert "remi" in chosen.notes[0]


def test_codings_made_anyhow_count_the_same(project, rita, remi, study):
    """A coding from a script (the ORM), from coding_apply (the workspace's path) or from a bulk
    insert in SQL: stored codings are what the figures read."""

    from coding import actions

    one = study["interviews"][0]
    code = study["codes"][0]
    make_coding(one, code, rita, 16, 60)
    actions.apply(one, code.pk, remi, 16, 60)

    def row():
        computed = compute(_select(project, [rita, remi], interviews=[str(one.pk)]))
        return next(r for r in computed.codes if r.code == code)

    assert row().kappa.value == 1.0
    insert_coding_sql(one, code, remi, 100, 130)
    assert row().kappa.value < 1.0
    assert row().pairs[0].table.only_b == 30


def test_another_project_is_never_read(project, rita, remi, study):
    elsewhere = make_project("Ailleurs")
    Membership.objects.create(project=elsewhere, user=rita, role=Membership.Role.RESEARCHER)
    Membership.objects.create(project=elsewhere, user=remi, role=Membership.Role.RESEARCHER)
    other = make_interview(elsewhere)
    other_code = make_code(elsewhere)
    make_coding(other, other_code, rita, 16, 60)
    one = study["interviews"][0]
    make_coding(one, study["codes"][0], rita, 16, 60)
    make_coding(one, study["codes"][0], remi, 16, 60)
    computed = compute(_select(project, [rita, remi]))
    assert [i.pk for i in computed.selection.interviews] == [one.pk]
    assert {row.code.pk for row in computed.codes} == {c.pk for c in study["codes"]}
    assert computed.codings == 2
