"""`manage.py agreement`: the table, the JSON shape checks read, and bad input."""

import json

import pytest
from django.core.management import CommandError, call_command

from coding.models import CodingRound
from interviews.models import Membership
from tests.factories import make_code, make_coding, make_interview, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def coded(project, rita, remi, study):
    """NVivo's documented shape on a code: both, one only, neither."""
    one, two = study["interviews"]
    courtois, presence = study["codes"]
    make_coding(one, courtois, rita, 16, 80)
    make_coding(one, courtois, remi, 16, 60)
    make_coding(two, courtois, rita, 40, 90)
    make_coding(two, courtois, remi, 45, 90)
    make_coding(two, presence, remi, 100, 140)
    return study


def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("agreement", *[str(a) for a in args], stdout=out, stderr=StringIO())
    return out.getvalue()


def test_it_writes_the_json_checks_read(project, coded, tmp_path):
    path = tmp_path / "figures.json"
    one, two = coded["interviews"]
    printed = run(
        project.pk, "--coders", "rita,remi", "--interviews", f"{one.pk},{two.pk}", "--json", path
    )
    assert "Voisinage courtois" in printed and "overall" in printed
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["coders"] == ["rita", "remi"]
    assert data["interviews"] == [one.pk, two.pk]
    codes = {row["code"]: row for row in data["codes"]}
    assert set(codes) == {"Voisinage courtois", "Présence"}
    courtois = codes["Voisinage courtois"]
    for key in ("code_id", "code", "percent_agreement", "kappa", "alpha_u", "segment_agreement"):
        assert key in courtois
    assert courtois["code_id"] == coded["codes"][0].pk
    for key in ("percent_agreement", "kappa", "alpha_u", "segment_agreement"):
        assert 0 <= courtois[key] <= 1  # fractions, not percentages
    # rita never applied « Présence »: null, with the reason.
    presence = codes["Présence"]
    assert presence["kappa"] is None and presence["reasons"]["kappa"] == "a coder coded nothing"
    assert set(data["overall"]) >= {"percent_agreement", "kappa", "alpha_u"}
    assert len(data["overall"]["pairs"]) == 1
    assert [cell["interview_id"] for cell in courtois["interviews"]] == [one.pk, two.pk]


def test_more_than_two_coders_are_compared_pair_by_pair(project, coded, sam, tmp_path):
    one = coded["interviews"][0]
    make_coding(one, coded["codes"][0], sam, 20, 70)
    path = tmp_path / "three.json"
    run(project.pk, "--coders", "rita,remi,sam", "--interviews", one.pk, "--json", path)
    data = json.loads(path.read_text(encoding="utf-8"))
    pairs = data["codes"][1]["pairs"]
    assert [pair["coders"] for pair in pairs] == [
        ["rita", "remi"],
        ["rita", "sam"],
        ["remi", "sam"],
    ]
    kappas = [pair["kappa"] for pair in pairs]
    assert data["codes"][1]["kappa"] == pytest.approx(sum(kappas) / 3, abs=1e-5)


def test_a_round_gives_its_coders_and_interviews(project, coded, tmp_path):
    round_ = CodingRound.objects.create(project=project, name="R1")
    round_.coders.set(
        Membership.objects.filter(user__username__in=["rita", "remi"]).values_list(
            "user", flat=True
        )
    )
    round_.interviews.set(coded["interviews"])
    path = tmp_path / "round.json"
    run(project.pk, "--round", round_.pk, "--json", path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert sorted(data["coders"]) == ["remi", "rita"]
    assert data["settings"]["round"] == round_.pk


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--coders", "rita"], "at least two coders"),
        (["--coders", "rita,olga"], "olga is not a member"),
        (["--coders", "rita,nobody"], "nobody is not a member"),
        (["--coders", "rita,remi", "--interviews", "abc"], "not a valid id"),
        (["--coders", "rita,remi", "--round", "999999"], "Unknown coding round"),
        (["--coders", "rita,remi", "--min-overlap", "0"], "minimum overlap"),
    ],
)
def test_bad_input_is_a_clear_error(project, coded, olga, args, message, english):
    with pytest.raises(CommandError, match=message):
        run(project.pk, *args)


def test_another_projects_ids_are_refused(project, coded, other_project, english):
    elsewhere = make_interview(other_project)
    with pytest.raises(CommandError, match=f"Unknown interview {elsewhere.pk}"):
        run(project.pk, "--coders", "rita,remi", "--interviews", elsewhere.pk)
    code = make_code(other_project)
    with pytest.raises(CommandError, match=f"Unknown code {code.pk}"):
        run(project.pk, "--coders", "rita,remi", "--codes", code.pk)
    with pytest.raises(CommandError, match="No project"):
        run(999999, "--coders", "rita,remi")


def test_an_empty_selection_is_a_clear_error(project, rita, remi, study, english):
    with pytest.raises(CommandError, match="coded by each"):
        run(project.pk, "--coders", "rita,remi")


def test_a_round_whose_coders_left_is_a_clear_error(project, coded, english):
    round_ = CodingRound.objects.create(project=project, name="R1")
    round_.coders.set(
        Membership.objects.filter(user__username__in=["rita", "remi"]).values_list(
            "user", flat=True
        )
    )
    round_.interviews.set(coded["interviews"])
    Membership.objects.filter(user__username="remi").delete()
    with pytest.raises(CommandError, match="Fewer than two"):
        run(project.pk, "--round", round_.pk)


def test_without_coders_it_compares_every_member_who_coded(project, coded):
    make_user("rose", project, Membership.Role.RESEARCHER)  # coded nothing: left out
    printed = run(project.pk)
    assert printed.startswith("2 coders (remi, rita)")
