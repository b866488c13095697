from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """Running Verbatim: backups and restores of the whole database (docs/operations.md)."""

    name = "operations"
    verbose_name = "Operations"
