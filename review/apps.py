from django.apps import AppConfig


class ReviewConfig(AppConfig):
    """Supervisors' review of codings: the queue, decisions, and codings sent back to their coders."""

    name = "review"
    verbose_name = "Review"
