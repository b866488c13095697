"""The excerpts page's filters in Chromium: codes and coders found by typing and ticked, one request
per change, attribute conditions added and written without an error before their value."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from interviews.models import Attribute, AttributeValue, Membership
from tests.factories import make_code, make_coding, make_interview, make_project, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def excerpts_page(live_server, log_in):
    project = make_project("Proximité")
    rita = make_user("rita", project, Membership.Role.RESEARCHER)
    sam = make_user("sam", project, Membership.Role.RESEARCHER)
    interview = make_interview(project)
    banc = make_code(project, "Banc")
    cafe = make_code(project, "Café")
    make_coding(interview, banc, rita, 16, 40)
    make_coding(interview, cafe, sam, 100, 130)
    years = Attribute.objects.create(project=project, name="Années", type=Attribute.Type.NUMBER)
    AttributeValue.objects.create(interview=interview, attribute=years, number=Decimal(7))
    page = log_in("rita")
    page.goto(f"{live_server.url}/projects/{project.pk}/excerpts/")
    expect(page.locator("#excerpt-results .excerpt")).to_have_count(2)
    requests = []
    page.on(
        "request",
        lambda r: requests.append(r.url) if "/excerpts/" in r.url and r.method == "GET" else None,
    )
    return page, requests, years


def test_codes_and_coders_are_found_by_typing_and_each_change_asks_once(excerpts_page):
    page, requests, years = excerpts_page
    results = page.locator("#excerpt-results .excerpt")
    search = page.get_by_label("Trouver un code", exact=True)
    search.fill("cafe")  # no accent: found all the same
    picks = page.locator("#code-picks li:not([hidden])")
    expect(picks).to_have_count(1)
    picks.get_by_label("Café").check()
    expect(results).to_have_count(1)
    assert len(requests) == 1
    # Enter in a field right after a change: the same filters are not asked for twice.
    page.get_by_label("Trouver un codeur").fill("sam")
    page.locator("#coder-picks li:not([hidden])").get_by_label("sam").check()
    page.locator("input[name=from]").fill("2020-01-01")
    page.locator("input[name=from]").press("Enter")
    expect(page.locator("#excerpt-results .chips")).to_contain_text("sam")
    expect(results).to_have_count(1)
    assert len(requests) == len(set(requests)) == 3


def test_an_attribute_condition_shows_no_error_before_its_value(excerpts_page):
    page, requests, years = excerpts_page
    rows = page.locator(".attribute-row")
    rows.first.locator("select[name=attribute]").select_option(str(years.pk))
    expect(page.locator(".filter-errors")).to_have_count(0)
    assert requests == []
    rows.first.locator("input[name=value]").fill(">=5")
    rows.first.locator("input[name=value]").press("Enter")
    expect(page.locator("#excerpt-results .chips")).to_contain_text("Années ≥ 5")
    # A second condition, added in place.
    page.get_by_role("button", name="Ajouter une condition").click()
    expect(rows).to_have_count(2)
    rows.nth(1).locator("select[name=attribute]").select_option(str(years.pk))
    expect(rows.nth(1).locator("select[name=attribute]")).to_be_focused()
    assert len(requests) == 1
    expect(page.locator(".filter-errors")).to_have_count(0)
