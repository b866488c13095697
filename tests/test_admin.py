"""The Django admin, for staff doing support: every list and search works on real data."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model

from tests.factories import make_code, make_coding

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser("support", "support@example.org", "pw")
    client.force_login(user)
    return user


def registered_models():
    return [
        (model._meta.app_label, model._meta.model_name)
        for model in admin.site._registry
        if model._meta.app_label in ("interviews", "coding")
    ]


@pytest.mark.parametrize(("app", "model"), registered_models())
def test_every_list_and_search_renders(client, staff, interview, rita, app, model):
    make_coding(interview, make_code(interview.project), rita, 0, 12)
    assert client.get(f"/admin/{app}/{model}/").status_code == 200
    assert client.get(f"/admin/{app}/{model}/", {"q": "Martine"}).status_code == 200


def test_the_transcript_text_is_read_only_in_the_admin(client, staff, interview):
    page = client.get(f"/admin/interviews/interview/{interview.pk}/change/").content.decode()
    assert 'name="text"' not in page and "Comment est-ce que vous abordez" in page


def test_the_audit_trail_cannot_be_edited_in_the_admin(client, staff, interview, rita):
    make_coding(interview, make_code(interview.project), rita, 0, 12)
    assert client.get("/admin/coding/codingevent/add/").status_code == 403


def test_members_who_are_not_staff_have_no_admin(client, rita):
    client.force_login(rita)
    assert client.get("/admin/interviews/interview/").status_code == 302
