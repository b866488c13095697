"""verbatim/people.py: a person is named the same way in Python, in templates and in SQL."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.template import engines

from verbatim import people

pytestmark = pytest.mark.django_db

NAMES = [
    ("Rita", "Ouellet", "Rita Ouellet"),
    ("", "", "rita"),
    ("Rita", "", "Rita"),
    ("", "Ouellet", "Ouellet"),
]


@pytest.mark.parametrize(("first", "last", "expected"), NAMES)
def test_python_templates_and_sql_agree(first, last, expected):
    user = get_user_model().objects.create_user("rita", first_name=first, last_name=last)
    rendered = engines["django"].from_string("{{ user|person }}").render({"user": user})
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {people.name_sql('u')} FROM auth_user u WHERE u.id = %s", [user.pk])
        (from_sql,) = cursor.fetchone()
    assert people.name(user) == rendered == from_sql == expected


def test_the_template_filter_escapes_the_name():
    user = get_user_model().objects.create_user("x", first_name="<b>Rémi</b>")
    rendered = engines["django"].from_string("{{ user|person }}").render({"user": user})
    assert rendered == "&lt;b&gt;Rémi&lt;/b&gt;"


def test_no_one_is_named_nothing_in_python_and_templates():
    for nobody in (None, AnonymousUser()):
        assert people.name(nobody) == ""
        rendered = engines["django"].from_string('{{ who|person|default:"—" }}')
        assert rendered.render({"who": nobody}) == "—"
