from django.apps import AppConfig


class ExportsConfig(AppConfig):
    """Files for other tools: excerpts and the codebook as CSV or Excel, reports per code."""

    name = "exports"
    verbose_name = "Exports"
