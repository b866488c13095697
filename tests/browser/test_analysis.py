"""A supervisor goes from a cell of the co-occurrence heat map to the excerpts behind it."""

import pytest
from playwright.sync_api import expect

from interviews.models import Membership
from tests.factories import (
    TRANSCRIPT,
    make_code,
    make_coding,
    make_interview,
    make_project,
    make_user,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_heat_map_cell_opens_its_excerpts(live_server, log_in):
    project = make_project("Proximité")
    sam = make_user("sam", project, Membership.Role.SUPERVISOR)
    interview = make_interview(project)
    banc, attente = make_code(project, "Banc"), make_code(project, "Attente")
    start = TRANSCRIPT.index("Je m'assois")
    make_coding(interview, banc, sam, start, start + len("Je m'assois pas loin"))
    make_coding(
        interview, attente, sam, start + 3, start + len("Je m'assois pas loin, sur le même banc")
    )
    page = log_in("sam")
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    page.get_by_role("link", name="Analysis").or_(
        page.get_by_role("link", name="Analyse")
    ).first.click()
    page.locator("a[href*='/analysis/cooccurrence/']").first.click()
    chart = page.locator("svg[role=group]")  # a group: its cells are links
    expect(chart).to_be_visible()
    chart.locator("a").first.click()
    expect(page.locator(".excerpt")).to_have_count(2)
    expect(page.locator("#excerpt-count")).to_contain_text("2")
