"""A researcher logs in and finds the demo interviews, in a real browser."""

from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_researcher_reads_a_demo_interview(live_server, log_in):
    call_command("load_demo", stdout=StringIO())
    page = log_in("rita", "verbatim-demo")

    page.get_by_role("link", name="Proximité et réduction des méfaits (démo)").click()
    rows = page.locator("table.list tbody tr")
    expect(rows).to_have_count(20)
    # The codebook panel arrives through htmx once the page has loaded.
    expect(page.locator("#codebook")).to_contain_text("Voisinage courtois")

    page.get_by_role("link", name="Entretien 01").click()
    expect(page.locator(".speaker-name").first).to_have_text("Intervieweuse")
    expect(page.locator(".turn.participant .speaker-name").first).to_have_text("Martine")
    expect(page.locator("#codebook")).to_contain_text("Suggestion légitime")

    page.get_by_label("Langue").select_option("en")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_an_outsider_sees_no_trace_of_the_project(live_server, log_in):
    from interviews.models import Membership
    from tests.factories import make_project, make_user

    secret = make_project("Étude confidentielle")
    make_user("olga", make_project("Autre étude"), Membership.Role.ADMIN)
    page = log_in("olga")
    expect(page.get_by_text("Autre étude")).to_be_visible()
    expect(page.get_by_text("Étude confidentielle")).to_have_count(0)
    response = page.goto(f"{live_server.url}/projects/{secret.pk}/")
    assert response.status == 404
