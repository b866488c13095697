from django.apps import AppConfig


class SearchConfig(AppConfig):
    """Full-text search across a project's transcripts, and coding every result at once."""

    name = "search"
    verbose_name = "Search"
