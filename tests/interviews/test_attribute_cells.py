"""Each interview's attribute cells (interviews_interview.attribute_cells, migration interviews
0012), which the excerpts' CSV reads: kept by PostgreSQL whatever writes the values, never stale."""

import datetime
import json
import threading
from decimal import Decimal

import psycopg
import pytest
from django.db import connection

from interviews.models import Attribute, AttributeValue
from tests.factories import TRANSCRIPT, make_interview
from verbatim.database import url_from_settings


def cells(interview) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attribute_cells FROM interviews_interview WHERE id = %s", [interview.pk]
        )
        (value,) = cursor.fetchone()
    return json.loads(value)  # Django's connection leaves JSON as text


def attribute(project, name, kind=Attribute.Type.TEXT):
    return Attribute.objects.create(project=project, name=name, type=kind)


@pytest.mark.django_db
def test_the_cells_follow_each_value_written_changed_and_removed(project, interview):
    role = attribute(project, "Rôle")
    years = attribute(project, "Années", Attribute.Type.NUMBER)
    met = attribute(project, "Rencontre", Attribute.Type.DATE)
    assert cells(interview) == {}

    AttributeValue.objects.create(interview=interview, attribute=role, text="=Intervenante")
    AttributeValue.objects.create(interview=interview, attribute=years, number=Decimal("12.5000"))
    AttributeValue.objects.create(interview=interview, attribute=met, date=datetime.date(987, 6, 5))
    # As the CSV writes them: a number without trailing zeros, a date in ISO 8601 (four-digit
    # year), a text guarded so that no spreadsheet reads it as a formula.
    assert cells(interview) == {
        str(role.pk): "'=Intervenante",
        str(years.pk): "12.5",
        str(met.pk): "0987-06-05",
    }

    AttributeValue.objects.filter(attribute=years).update(number=Decimal("3.0000"))
    AttributeValue.objects.filter(attribute=met).update(date=None)
    assert cells(interview) == {
        str(role.pk): "'=Intervenante",
        str(years.pk): "3",
        str(met.pk): None,
    }

    AttributeValue.objects.filter(attribute=role).delete()
    met.delete()  # its values go by cascade
    assert cells(interview) == {str(years.pk): "3"}


@pytest.mark.django_db
def test_one_statement_of_many_values_writes_each_interviews_cells(project):
    setting = attribute(project, "Milieu")
    interviews = [make_interview(project, f"{TRANSCRIPT} ({n})", f"E{n}") for n in range(3)]
    AttributeValue.objects.bulk_create(
        AttributeValue(interview=interview, attribute=setting, text=f"Rue {n}")
        for n, interview in enumerate(interviews)
    )
    assert [cells(interview) for interview in interviews] == [
        {str(setting.pk): f"Rue {n}"} for n in range(3)
    ]


@pytest.mark.django_db
def test_an_attribute_changing_type_has_its_cells_written_again(project, interview):
    years = attribute(project, "Années", Attribute.Type.NUMBER)
    AttributeValue.objects.create(
        interview=interview, attribute=years, number=Decimal("-7.00"), text="-sept"
    )
    assert cells(interview) == {str(years.pk): "-7"}  # a number is no formula
    years.type = Attribute.Type.TEXT
    years.save()
    assert cells(interview) == {str(years.pk): "'-sept"}


@pytest.mark.django_db(transaction=True)
def test_two_transactions_changing_one_interviews_values_at_once_keep_both(project, interview):
    """Each trigger locks the interview, then reads its values in a statement of its own: the
    second, made to wait for the first's lock, sees the value the first committed. Reading them
    in the statement that writes the cells would keep the second's alone."""
    role, place = attribute(project, "Rôle"), attribute(project, "Milieu")
    for which in (role, place):
        AttributeValue.objects.create(interview=interview, attribute=which, text="avant")
    url = url_from_settings(connection.settings_dict)
    with psycopg.connect(url) as first, psycopg.connect(url, autocommit=True) as watcher:
        first.execute(
            "UPDATE interviews_attributevalue SET text = 'rôle après' WHERE attribute_id = %s",
            [role.pk],
        )
        second_pid, failures = [], []

        def second_transaction():
            try:
                with psycopg.connect(url) as second:
                    second_pid.append(second.info.backend_pid)
                    second.execute(
                        "UPDATE interviews_attributevalue SET text = 'milieu après'"
                        " WHERE attribute_id = %s",
                        [place.pk],
                    )
            except Exception as error:  # reported below, in the test's thread
                failures.append(error)

        thread = threading.Thread(target=second_transaction)
        thread.start()
        # Until the second waits for the first's lock on the interview (what it must do).
        waiting = None
        while not waiting and thread.is_alive():
            waiting = watcher.execute(
                "SELECT 1 FROM pg_stat_activity WHERE pid = ANY(%s) AND wait_event_type = 'Lock'",
                [second_pid],
            ).fetchone()
        assert waiting, "the second transaction did not wait for the first"
        first.commit()
        thread.join(timeout=30)
    assert not failures and not thread.is_alive()
    assert cells(interview) == {str(role.pk): "rôle après", str(place.pk): "milieu après"}
