"""An admin imports two transcripts and a sheet of attributes; a researcher then reads them.

Selectors use names and structure, not wording: the pages render in French.
"""

import pytest
from playwright.sync_api import expect

from interviews.models import Interview, Membership, Pseudonym
from tests.factories import make_project, make_user
from tests.interviews.fixtures import build

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_imports_two_files_with_attributes_and_a_researcher_reads_them(
    live_server, log_in, page, run_jobs
):
    project = make_project("Étude terrain")
    make_user("ada", project, Membership.Role.ADMIN)
    make_user("rita", project, Membership.Role.RESEARCHER)
    Pseudonym.objects.create(project=project, real_name="Martine Dupont", pseudonym="Claire Roy")
    Pseudonym.objects.create(project=project, real_name="Martine", pseudonym="Claire")

    log_in("ada")
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    page.locator(f"a[href='/projects/{project.pk}/import/']").click()
    page.locator("input[name=files]").set_input_files(
        [
            {"name": "01.docx", "mimeType": "application/octet-stream", "buffer": build.docx()},
            {
                "name": "02.txt",
                "mimeType": "text/plain",
                "buffer": build.txt(build.LEGACY_TEXT, encoding="cp1252"),
            },
        ]
    )
    page.locator("form.card button[type=submit]").click()
    # The progress page lists each file, then moves on to the preview by itself.
    page.wait_for_url(f"**/projects/{project.pk}/import/preview/")
    expect(page.locator("section.import-file")).to_have_count(2)

    page.locator("input[name=sheet]").set_input_files(
        {
            "name": "participants.csv",
            "mimeType": "text/csv",
            "buffer": build.csv_bytes(
                [
                    ["Fichier", "Titre", "Milieu"],
                    ["01.docx", "Entretien Claire", "Rue"],
                    ["02.txt", "Entretien Zoé", "Site fixe"],
                ]
            ),
        }
    )
    page.locator("section.import-sheet button[type=submit]:not([name])").click()
    first = page.locator("section.import-file").first
    expect(first.locator("input[name$='-title']")).to_have_value("Entretien Claire")

    # Map the speakers of the first transcript: the interviewer gets a display name.
    first.locator("input[name$='-s0-name']").fill("Chercheuse")
    expect(first.locator("select[name$='-s0-role']")).to_have_value("interviewer")
    page.locator("#import-confirm section.import-confirm button[type=submit]").click()
    # The import runs in the background: the job's page polls until the worker has stored it.
    expect(page.locator("#job-status")).to_be_visible()
    run_jobs()
    page.locator("#job-status a", has_text="Ouvrir le projet").click()
    page.wait_for_url(f"{live_server.url}/projects/{project.pk}/")
    expect(page.locator("table.list tbody tr")).to_have_count(2)

    page.context.clear_cookies()
    log_in("rita")
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    rows = page.locator("table.list tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Rue")
    page.get_by_role("link", name="Entretien Claire").click()
    expect(page.locator("body")).to_contain_text("Claire Roy devient")
    expect(page.locator("body")).to_contain_text("Chercheuse")
    interview = Interview.objects.get(title="Entretien Claire")
    assert "Martine" not in interview.text
