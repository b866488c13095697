from django.apps import AppConfig


class CorrectionsConfig(AppConfig):
    """Correcting a transcript after it was coded: text versions, every offset re-anchored."""

    name = "corrections"
    verbose_name = "Corrections"
