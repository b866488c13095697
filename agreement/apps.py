from django.apps import AppConfig


class AgreementConfig(AppConfig):
    """Inter-coder agreement: blind coding rounds' figures, side-by-side comparison, consensus."""

    name = "agreement"
    verbose_name = "Agreement"
