"""Two researchers, rita and remi, coding two interviews of `project`; sam supervises."""

import pytest

from interviews.models import Membership
from tests.factories import make_code, make_interview, make_user

SECOND = (
    "Intervieweuse : Et le soir ?\n\n"
    "Karim : Le soir on fait la tournée, on donne du matériel, on jase.\n"
    "Des fois on reste juste là, sans rien dire.\n\n"
    "Intervieweuse : Pourquoi ?\n\n"
    "Karim : Parce que la présence, c'est déjà quelque chose."
)


@pytest.fixture
def remi(project):
    return make_user("remi", project, Membership.Role.RESEARCHER)


@pytest.fixture
def study(project, rita, remi, sam):
    """Two interviews, two codes."""
    first = make_interview(project)
    second = make_interview(project, text=SECOND, title="Entretien 2")
    return {
        "interviews": [first, second],
        "codes": [make_code(project, "Voisinage courtois"), make_code(project, "Présence")],
    }
