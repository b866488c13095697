"""`manage.py import_interviews`: a folder in, pseudonymised interviews with attributes out, or
nothing at all when a file is bad."""

import pytest
from django.core.management import CommandError, call_command

from interviews.models import Attribute, Interview, Pseudonym
from tests.interviews.fixtures import build

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "Entretien Martine Dupont.docx").write_bytes(build.docx())
    (tmp_path / "Entretien 02.txt").write_bytes(build.txt(build.LEGACY_TEXT, encoding="cp1252"))
    (tmp_path / "Entretien 03.vtt").write_bytes(build.VTT.encode().replace(b"Martine", b"Karim"))
    return tmp_path


def run(folder, project, *args):
    call_command("import_interviews", str(folder), "--project", str(project.pk), *args)


def test_it_imports_a_folder_pseudonymised_with_speakers_and_attributes(folder, project, ada):
    Pseudonym.objects.create(project=project, real_name="Martine Dupont", pseudonym="Claire Roy")
    Pseudonym.objects.create(project=project, real_name="Martine", pseudonym="Claire")
    Pseudonym.objects.create(project=project, real_name="Hélène", pseudonym="Zoé")
    sheet = folder.parent / "participants.csv"
    sheet.write_bytes(
        build.csv_bytes(
            [
                ["Fichier", "Titre", "Date", "Années de pratique", "Milieu"],
                ["Entretien Martine Dupont.docx", "Entretien 01", "14/05/2024", "14", "Rue"],
                ["Entretien 02.txt", "Entretien 02", "2024-06-01", "3,5", "Rue"],
                ["Entretien 03.vtt", "Entretien 03", "", "7", "Site fixe"],
            ],
            encoding="cp1252",
        )
    )
    run(folder, project, "--attributes", str(sheet))

    first, second, third = Interview.objects.filter(project=project).order_by("title")
    assert first.source_name == "Entretien Claire Roy.docx"  # the file name is pseudonymised too
    assert "Martine" not in first.text and "Claire Roy devient" in first.text
    assert str(first.interviewed_on) == "2024-05-14" and first.imported_by == ada
    assert first.participant == "Claire"
    speakers = {s.label: (s.role, s.turns.count()) for s in first.speakers.all()}
    assert speakers == {"Intervieweuse": ("interviewer", 2), "Claire": ("participant", 2)}
    assert "Zoé : Déjà là" in second.text and second.source_format == "txt"
    assert third.turns.first().timestamp.total_seconds() == 1
    years = Attribute.objects.get(project=project, name="Années de pratique")
    setting = Attribute.objects.get(project=project, name="Milieu")
    assert (years.type, setting.type, setting.choices) == ("number", "choice", ["Rue", "Site fixe"])
    assert str(second.attribute_values.get(attribute=years).value) == "3.5"


def test_one_bad_file_means_nothing_is_stored(folder, project, ada):
    (folder / "photo.txt").write_bytes(bytes(range(256)) * 10)
    with pytest.raises(CommandError, match="Nothing imported"):
        run(folder, project)
    assert not Interview.objects.filter(project=project).exists()


def test_valid_only_imports_the_others(folder, project, ada, capsys):
    (folder / "photo.txt").write_bytes(bytes(range(256)) * 10)
    run(folder, project, "--valid-only")
    assert Interview.objects.filter(project=project).count() == 3
    assert "photo.txt: This is not a text file" in capsys.readouterr().err


def test_reimporting_the_same_files_skips_them_with_a_message(folder, project, ada, capsys):
    run(folder, project)
    run(folder, project)
    assert Interview.objects.filter(project=project).count() == 3
    assert "already imported as" in capsys.readouterr().out


def test_a_sheet_with_missing_or_duplicate_keys_stops_the_import(folder, project, ada, capsys):
    sheet = folder.parent / "participants.csv"
    sheet.write_bytes(
        build.csv_bytes(
            [
                ["Fichier", "Âge"],
                ["Entretien 02.txt", "40"],
                ["", "41"],
                ["entretien 02.TXT", "42"],
            ]
        )
    )
    with pytest.raises(CommandError):
        run(folder, project, "--attributes", str(sheet))
    errors = capsys.readouterr().err
    assert "participants.csv: Row 3 has no file name or pseudonym" in errors
    assert "participants.csv: Rows 2 and 4 both name “entretien 02.TXT”" in errors
    assert "Entretien 02.txt: Several rows of the attribute sheet name this file" in errors
    assert not Interview.objects.filter(project=project).exists()


def test_a_value_that_does_not_fit_an_existing_attribute_names_the_file(
    folder, project, ada, capsys
):
    Attribute.objects.create(project=project, name="Âge", type=Attribute.Type.NUMBER)
    sheet = folder.parent / "participants.xlsx"
    sheet.write_bytes(build.xlsx([["Fichier", "âge"], ["Entretien 02.txt", "quarante"]]))
    with pytest.raises(CommandError):
        run(folder, project, "--attributes", str(sheet))
    assert "Entretien 02.txt: “quarante” is not a number (Âge)." in capsys.readouterr().err


def test_it_refuses_a_user_who_is_not_an_admin(folder, project, rita):
    with pytest.raises(CommandError, match="not an admin"):
        run(folder, project, "--user", "rita")


def test_the_encoding_option_takes_any_codec_name(tmp_path, project, ada):
    srt = "1\n00:00:01,000 --> 00:00:02,000\n这是中文\n\n2\n00:00:03,000 --> 00:00:04,000\n再见\n"
    (tmp_path / "sous-titres.srt").write_bytes(srt.encode("gbk"))
    run(tmp_path, project, "--encoding", "gbk")
    interview = Interview.objects.get(project=project)
    assert interview.text == "这是中文\n\n再见"
    assert list(interview.time_marks.values_list("start", "end")) == [(0, 4), (6, 8)]


def test_an_unknown_encoding_is_refused_with_examples(folder, project, ada):
    with pytest.raises(CommandError, match="unknown encoding “klingon”.*gbk"):
        run(folder, project, "--encoding", "klingon")
