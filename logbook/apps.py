from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LogbookConfig(AppConfig):
    name = "logbook"
    verbose_name = _("Room logbook")

    def ready(self):
        # The booking rules ask the logbook whether a room is on hold; the logbook depends on facilities,
        # not the other way round.
        from facilities import services as booking_services

        from .services import HOLD_SOURCE

        if HOLD_SOURCE not in booking_services.room_hold_sources:
            booking_services.room_hold_sources.append(HOLD_SOURCE)
