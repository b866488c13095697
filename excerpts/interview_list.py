"""The interview filter of the excerpts page and the review queue, which loads its list when opened.

A project can hold thousands of interviews: as `<option>`s they were most of a page's weight (the
review queue of 2,000 interviews: 250 KB of its 255) and several milliseconds of its time, on every
page, for a list most visits never open. The page holds the chosen interviews only, so that the form
sends them either way; opening the list asks the page's own address for every interview, the
request naming this list as its htmx target (templates/excerpts/interview_filter.html). The view
answers it after the same membership check as the page itself (`member_filters`).
"""

from django.http import HttpRequest, HttpResponse
from django.utils.safestring import SafeString

from excerpts.filters import Filters
from interviews.models import Interview
from verbatim import plain_sql
from verbatim.options import option_list

SELECT_ID = "interview-select"  # the id of the list, and the htmx target of its request

TITLES = plain_sql.Prepared(
    f"SELECT id, title FROM {Interview._meta.db_table} WHERE project_id = %s ORDER BY title, id"
)


def asked(request: HttpRequest) -> bool:
    """Whether the request is the list's own, asking for every interview."""
    return bool(request.htmx) and request.htmx.target == SELECT_ID


def every_interview(filters: Filters) -> HttpResponse:
    """Every interview of the filters' project as an option, the chosen ones selected."""
    (rows,) = plain_sql.batch((TITLES, [filters.project.pk]))
    return HttpResponse(_options(rows, filters))


def context(filters: Filters, count: int) -> dict:
    """What the list's template (excerpts/interview_filter.html) shows before it is opened: the
    project's number of interviews, and the chosen ones alone as options."""
    return {
        "interview_options": _options(filters.interviews.items(), filters),
        "interview_count": count,
        "interview_select": SELECT_ID,
    }


def _options(rows, filters: Filters) -> SafeString:
    # The title again as a tooltip: the list is narrow and titles can be long.
    return option_list(((pk, title, title) for pk, title in rows), filters.interviews)
