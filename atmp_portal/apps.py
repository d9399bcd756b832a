from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AtmpPortalConfig(AppConfig):
    name = "atmp_portal"
    verbose_name = _("LU-ATMP portal")

    def ready(self):
        from . import mail, middleware  # noqa: F401 - connect the retry of failed e-mails and the session clock
