from django.apps import AppConfig


class ExcerptsConfig(AppConfig):
    """Retrieval: the excerpt filters every list of codings shares, the excerpts page, the code
    overview and the codes × interviews matrix."""

    name = "excerpts"
    verbose_name = "Excerpts"
