from django.apps import AppConfig


class BenchmarksConfig(AppConfig):
    """Developer tools: synthetic corpora, `manage.py bench`, `manage.py loadtest`.

    Not product code: installed only with VERBATIM_DEV_TOOLS (or DJANGO_DEBUG), and nothing in the
    product imports it (import-linter checks, docs/architecture.md)."""

    name = "benchmarks"
    verbose_name = "Benchmarks"
