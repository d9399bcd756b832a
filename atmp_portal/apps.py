from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AtmpPortalConfig(AppConfig):
    name = "atmp_portal"
    verbose_name = _("LU-ATMP portal")
