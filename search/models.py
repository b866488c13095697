from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models

from interviews.models import Interview


class SearchSegment(models.Model):
    """One paragraph (line) of an interview, indexed for full-text search (search/index.py).

    Written only by the triggers of migrations interviews 0004–0005 and 0009 when an interview is
    stored (ORM, COPY or raw SQL alike), its language changes or a correction changes its text
    (its unchanged lines keep their vectors; only the changed ones are stemmed again). [start,
    end) are code points of Interview.text, blank edges left out; `text` is that paragraph and
    `vector` is `to_tsvector(config, verbatim_unaccent(text))` plus the lexeme naming the project
    (`verbatim_project_lexeme`), which searches require.
    """

    interview = models.ForeignKey(
        Interview, on_delete=models.CASCADE, related_name="search_segments", db_index=False
    )  # the (interview, start) index serves it
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    # The paragraph itself: the search page and "code all results" read it without decompressing
    # whole transcripts.
    text = models.TextField()
    config = models.CharField(max_length=32)  # text search configuration: french, english, simple…
    vector = SearchVectorField()

    class Meta:
        # Created by interviews' migrations, before search was an app of its own (search 0001).
        db_table = "interviews_searchsegment"
        ordering = ["interview", "start"]
        indexes = [
            # A short pending list: imports stay fast, and a search never scans more than 256 kB
            # of not yet merged entries while waiting for (auto)vacuum.
            GinIndex(fields=["vector"], name="searchsegment_vector", gin_pending_list_limit=256),
            models.Index(fields=["interview", "start"], name="searchsegment_interview"),
        ]

    def __str__(self):
        return f"{self.interview_id} [{self.start}, {self.end})"
