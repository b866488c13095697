"""A researcher brings a project from another tool: upload the .qdpx, read the preview (what the
file holds, what will not come across), say who is who, confirm; then hands the placeholder's
work to a colleague.

Selectors use names and structure, not wording: the pages render in French.
"""

import pytest
from playwright.sync_api import expect

from coding.models import Coding
from exchange.models import Placeholder
from interviews.models import Membership, Project
from tests.exchange.test_import import hand_made
from tests.factories import make_project, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_import_is_previewed_mapped_and_confirmed(live_server, log_in, page, run_jobs):
    team = make_project("Équipe")
    rita = make_user("rita", team, Membership.Role.ADMIN)
    sam = make_user("sam", team, Membership.Role.SUPERVISOR)
    sam.first_name, sam.last_name = "Sam", "Superviseure"
    sam.save()

    log_in("rita")
    page.locator("a[href='/exchange/import/']").click()
    page.locator("input[name=file]").set_input_files(
        {"name": "terrain.qdpx", "mimeType": "application/zip", "buffer": hand_made()}
    )
    page.locator("form.card button[type=submit]").click()
    page.wait_for_url("**/exchange/import/preview/")

    # What the file holds, and what will change on the way in.
    expect(page.locator("[data-count=codings]")).to_have_text("3")
    expect(page.locator("[data-count=sources]")).to_have_text("2")
    expect(page.locator("[data-count=notes]")).to_have_text("6")
    expect(page.locator(".exchange-notices [data-kind=duplicate_source]")).to_be_visible()
    expect(page.locator(".exchange-notices [data-kind=line_endings]")).to_be_visible()
    expect(page.locator(".exchange-sources tbody tr")).to_have_count(1)
    expect(page.locator(".exchange-sources tbody tr td").first).to_contain_text("Entretien Martine")

    # Who is who: rita and Sam are proposed by name; Sam's work goes to a placeholder instead.
    expect(page.locator("select[name=user-0]")).to_have_value(str(rita.pk))
    expect(page.locator("select[name=user-1]")).to_have_value(str(sam.pk))
    page.locator("select[name=user-1]").select_option("new")
    expect(page.locator("input[name=name]")).to_have_value("Fait main")
    page.locator("input[name=name]").fill("Terrain de Rita")
    page.locator("form.exchange-confirm button[type=submit]").click()
    # Stored in the background: the job's page polls until the worker is done.
    expect(page.locator("#job-status")).to_be_visible()
    run_jobs()
    page.locator("#job-status a", has_text="Ouvrir le projet").click()
    page.wait_for_url("**/projects/*/")
    expect(page.locator("h1")).to_have_text("Terrain de Rita")
    expect(page.get_by_role("link", name="Entretien Martine")).to_be_visible()
    project = Project.objects.get(name="Terrain de Rita")
    placeholder = Placeholder.objects.get(project=project)
    assert placeholder.name == "Sam Superviseure"

    # Later, the placeholder's coding is handed to Sam, who has an account after all.
    page.goto(f"{live_server.url}/projects/{project.pk}/exchange/")
    row = page.locator(".exchange-accounts tbody tr")
    expect(row).to_have_count(1)
    row.locator("input[name=username]").fill("sam")
    row.locator("button[type=submit]").click()
    expect(page.locator(".exchange-accounts .empty")).to_be_visible()
    assert Coding.objects.filter(interview__project=project, coder=sam).count() == 1
