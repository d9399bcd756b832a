"""Each user's calendar feed and the e-mails they may turn off."""

import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """A user's secret iCalendar address; calendar programs send the token instead of logging in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed", verbose_name=_("user")
    )
    token = models.CharField(_("token"), max_length=64, unique=True, default=new_feed_token)
    issued_at = models.DateTimeField(_("issued"), auto_now=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self):
        return str(self.user)

    def get_absolute_url(self):
        return reverse("facilities:calendar_feed", args=[self.token])


class NotificationPreferences(models.Model):
    """The e-mails a user may turn off, and the language they are written in; decisions and cancellations are
    always sent."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        verbose_name=_("user"),
    )
    booking_reminders = models.BooleanField(_("reminders the day before a booking"), default=True)
    qualification_expiry = models.BooleanField(_("warnings before a qualification expires"), default=True)
    new_requests = models.BooleanField(
        _("new booking requests (facility staff)"),
        default=True,
        help_text=_("The pending requests page lists them too."),
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("The language of the portal's e-mails to you; choosing a language in the menu sets it too."),
    )

    class Meta:
        verbose_name = _("notification preferences")
        verbose_name_plural = _("notification preferences")

    def __str__(self):
        return str(self.user)
