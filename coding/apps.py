from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CodingConfig(AppConfig):
    name = "coding"
    verbose_name = _("Coding")

    def ready(self):
        from coding.import_memos import store_comments
        from interviews import services

        # Imported Word and OpenDocument comments become memos (coding/import_memos.py).
        if store_comments not in services.STORE_HOOKS:
            services.STORE_HOOKS.append(store_comments)
