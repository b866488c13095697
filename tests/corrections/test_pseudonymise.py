"""Retroactive pseudonymisation (corrections/pseudonymise.py and its page)."""

import re

import pytest

from coding.audit import recorded_as, remove
from coding.models import CodingEvent, Memo, ReviewEvent
from corrections import pseudonymise, services
from corrections.models import TextVersion
from interviews.models import ImportBatch, Interview, Pseudonym
from jobs.models import Job
from tests.factories import make_code, make_coding, make_interview

# The messages read here are the English ones (the site default is French).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

TEXT = (
    "Intervieweuse : Vous travaillez avec qui ?\n\n"
    "Martine : Avec HÉLÈNE, pis Hélène Tremblay m'a dit « Hélène, vas-y ». Rue Hélènette.\n\n"
    "Intervieweuse : Et ensuite ?\n\n"
    "Martine : Helene est partie."
)


ENGLISH = {"Accept-Language": "en"}
NAME = re.compile(r"(?i)\b(?:hélène|helene)\b")


@pytest.fixture
def rule(project):
    return Pseudonym.objects.create(project=project, real_name="Hélène", pseudonym="Sophie")


def test_every_place_is_found_whatever_the_case_and_accents_whole_words_only(project, rule):
    interview = make_interview(project, TEXT)
    hits = pseudonymise.find(project, rule)
    assert [hit.found for hit in hits] == ["HÉLÈNE", "Hélène", "Hélène", "Helene"]
    assert [hit.replacement for hit in hits] == ["SOPHIE", "Sophie", "Sophie", "Sophie"]
    assert all(interview.text[h.start : h.end] == h.found for h in hits)
    assert hits[1].before.endswith("pis ") and hits[1].after.startswith(" Tremblay")


def test_the_chosen_places_are_replaced_and_codings_stay_on_their_words(project, rule, rita, ada):
    interview = make_interview(project, TEXT)
    code = make_code(project)
    start = interview.text.index("m'a dit")
    said = make_coding(interview, code, rita, start, start + len("m'a dit « Hélène, vas-y »"))
    start = interview.text.index("est partie")
    gone = make_coding(interview, code, rita, start, start + len("est partie"))
    hits = pseudonymise.find(project, rule)
    chosen = {hit.key for hit in hits[:3]}  # not the last one: say it was a namesake
    swept = pseudonymise.apply(project, ada, rule, chosen)
    interview.refresh_from_db()
    assert swept.replaced == 3 and swept.interviews == 1
    assert "Avec SOPHIE, pis Sophie Tremblay m'a dit « Sophie, vas-y »" in interview.text
    assert "Helene est partie" in interview.text  # left as chosen
    said.refresh_from_db()
    gone.refresh_from_db()
    assert said.text == "m'a dit « Sophie, vas-y »"
    assert gone.text == "est partie"


def test_the_name_leaves_memos_comments_titles_speakers_the_audit_trail_and_old_versions(
    project, rule, rita, sam, ada
):
    interview = make_interview(project, TEXT, title="Entretien avec Hélène")
    code = make_code(project)
    coding = make_coding(interview, code, rita, 0, 12)
    Memo.objects.create(project=project, author=rita, coding=coding, body="Hélène hésite.")
    ReviewEvent.objects.create(coding=coding, reviewer=sam, status="approved", comment="Hélène ?")
    removed = make_coding(interview, code, rita, 20, 30)
    Memo.objects.create(project=project, author=rita, coding=removed, body="Voir Hélène")
    with recorded_as(rita, interview_id=interview.pk):
        remove(removed)
    services.correct(
        interview, rita, interview.text.replace("Et ensuite", "Et après"), expected_version=1
    )
    ImportBatch.objects.create(project=project, created_by=ada)
    swept = pseudonymise.apply(
        project, ada, rule, {hit.key for hit in pseudonymise.find(project, rule)}
    )
    interview.refresh_from_db()
    assert "Hélène" not in interview.title and interview.title == "Entretien avec Sophie"
    assert not any("Hélène" in m.body for m in Memo.objects.all())
    assert ReviewEvent.objects.get().comment == "Sophie ?"
    event = CodingEvent.objects.exclude(memos=None).get()
    assert event.memos[0]["body"] == "Voir Sophie"
    assert swept.purged_versions == 2  # as imported, and the first correction
    assert list(TextVersion.objects.values_list("number", flat=True)) == [3]
    assert all("Hélène" not in v.reason for v in TextVersion.objects.all())
    assert not ImportBatch.objects.exists()
    assert not NAME.search(interview.text)
    assert "Hélènette" in interview.text  # another word


def test_the_text_an_interview_had_is_not_kept_as_a_version_since_it_holds_the_name(
    project, rule, ada
):
    interview = make_interview(project, TEXT)  # never corrected: no version row yet
    swept = pseudonymise.apply(
        project, ada, rule, {hit.key for hit in pseudonymise.find(project, rule)}
    )
    assert swept.purged_versions == 1  # the text as imported, counted as purged
    versions = list(TextVersion.objects.filter(interview=interview))
    assert [v.number for v in versions] == [2] and not NAME.search(versions[0].text)


def test_only_admins_open_the_page_and_it_lists_the_places(client, project, rule, rita, ada):
    make_interview(project, TEXT)
    url = f"/projects/{project.pk}/pseudonyms/{rule.pk}/apply/"
    client.force_login(rita)
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    assert not Job.objects.exists()
    client.force_login(ada)
    page = client.get(url).content.decode()
    assert page.count('name="leave"') == 4 and "<mark>HÉLÈNE</mark>" in page


@pytest.mark.django_db(transaction=True)
def test_applying_is_a_background_job_that_replaces_all_but_the_places_left(
    client, project, rule, ada, run_jobs
):
    interview = make_interview(project, TEXT)
    url = f"/projects/{project.pk}/pseudonyms/{rule.pk}/apply/"
    client.force_login(ada)
    last = pseudonymise.find(project, rule)[-1]
    # Keys that name no place (a forged form) leave nothing more.
    leave = [last.key, "junk", "999999999:0"]
    response = client.post(url, {"leave": leave}, headers=ENGLISH)  # the job's language
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    assert "Hélène" in Interview.objects.get().text  # not in the request: in the worker
    assert "Sophie" in job.title and "Hélène" not in job.title
    run_jobs()
    job.refresh_from_db()
    assert job.state == Job.State.DONE, job.errors
    assert job.message.startswith("3 places replaced in 1 interviews")
    assert (job.done, job.total) == (1, 1)
    assert NAME.findall(Interview.objects.get(pk=interview.pk).text) == ["Helene"]  # the one left
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert f"/projects/{project.pk}/pseudonyms/" in page


@pytest.mark.django_db(transaction=True)
def test_a_job_whose_places_moved_or_whose_name_went_replaces_nothing(
    client, project, rule, rita, ada, run_jobs
):
    interview = make_interview(project, TEXT)
    url = f"/projects/{project.pk}/pseudonyms/{rule.pk}/apply/"
    client.force_login(ada)
    client.post(url, {"leave": [pseudonymise.find(project, rule)[-1].key]}, headers=ENGLISH)
    # Corrected before the worker ran: the place left may now be another word.
    services.correct(interview, rita, "Intervieweuse : " + interview.text, expected_version=1)
    run_jobs()
    job = Job.objects.get()
    assert job.state == Job.State.FAILED
    assert "corrected after you chose" in job.errors[0]
    assert len(NAME.findall(Interview.objects.get().text)) == 4
    client.post(url, headers=ENGLISH)
    rule.delete()
    run_jobs()
    job = Job.objects.order_by("-pk").first()
    assert job.state == Job.State.FAILED and "no longer on" in job.errors[0]
    assert len(NAME.findall(Interview.objects.get().text)) == 4


def test_another_projects_rule_answers_404(client, project, other_project, rule, olga, ada):
    foreign = Pseudonym.objects.create(project=other_project, real_name="Luc", pseudonym="Marc")
    client.force_login(ada)
    assert client.get(f"/projects/{project.pk}/pseudonyms/{foreign.pk}/apply/").status_code == 404


def test_a_name_goes_even_while_a_blind_round_is_open(project, rule, rita, sam, ada):
    from coding.models import CodingRound

    interview = make_interview(project, TEXT)
    round_ = CodingRound.objects.create(project=project, name="Aveugle", created_by=sam)
    round_.interviews.set([interview])
    swept = pseudonymise.apply(
        project, ada, rule, {hit.key for hit in pseudonymise.find(project, rule)}
    )
    interview.refresh_from_db()
    assert swept.interviews == 1 and swept.replaced == 4
    assert "Avec SOPHIE, pis Sophie Tremblay" in interview.text
