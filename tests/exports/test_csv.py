"""exports/writers.py `csv_line`: the csv module's own output, written faster, formulas guarded."""

import csv
import datetime
import io
import random
from decimal import Decimal

from exports.cells import FORMULA_STARTS
from exports.writers import Table, csv_chunks, csv_line

# Every character the csv module treats specially, and text that is not special at all.
PIECES = ['"', ",", "\n", "\r", "\r\n", " ", "'", ";", "\t", "=", "+", "-", "@", "é", "«", "»"]
PIECES += ["\u00a0", "👩🏽‍⚕️", "voisinage courtois", "", "0", "-1", "=SUM(A1)"]


def module_line(values) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(values)
    return out.getvalue()


def guarded(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def test_records_are_the_csv_modules_own_for_random_texts():
    rng = random.Random(21)
    for _ in range(3000):
        row = ["".join(rng.choices(PIECES, k=rng.randint(0, 5))) for _ in range(rng.randint(1, 6))]
        assert csv_line(row) == module_line([guarded(value) for value in row]), row


def test_other_values_are_written_as_the_csv_module_writes_them():
    row = [None, 0, -3, 2.5, Decimal("1.10"), datetime.date(2025, 3, 14)]
    row.append(datetime.datetime(2025, 3, 14, 9, 30, 5))
    assert csv_line(row) == module_line(row)
    assert csv_line([None]) == module_line([None]) and csv_line([""]) == module_line([""])


def test_formulas_get_an_apostrophe_and_numbers_keep_their_sign():
    line = csv_line(["=1+1", "+33 6", "-x", "@me", "\tcell", "\rcell", -4, "a=b"])
    assert next(csv.reader([line])) == [
        "'=1+1",
        "'+33 6",
        "'-x",
        "'@me",
        "'\tcell",
        "'\rcell",
        "-4",
        "a=b",
    ]


def test_a_table_reads_back_whole_after_its_byte_order_mark():
    rows = [["« Bonjour », dit-elle", 'un "mot"\r\nune ligne', None, 12]] * 1201
    text = b"".join(
        csv_chunks(Table("x", ["Texte", "Autre", "Vide", "Début"], iter(rows)))
    ).decode()
    assert text.startswith("\ufeffTexte,")
    read = list(csv.reader(io.StringIO(text[1:], newline="")))
    assert read[0] == ["Texte", "Autre", "Vide", "Début"]
    assert read[1:] == [["« Bonjour », dit-elle", 'un "mot"\r\nune ligne', "", "12"]] * 1201
