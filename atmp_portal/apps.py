from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AtmpPortalConfig(AppConfig):
    name = "atmp_portal"
    verbose_name = _("LU-ATMP portal")

    def ready(self):
        from . import mail  # noqa: F401 - connects the retry of failed e-mails
