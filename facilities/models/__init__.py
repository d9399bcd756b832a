"""The facilities app's models, one module per topic; ``from facilities.models import X`` names them all."""

from .bookings import ACTIVE_STATUSES, Booking, BookingQuerySet, BookingStatus, resource_key, status_badge
from .closures import Closure, ClosureQuerySet, ClosureReason
from .facility import Facility, Weekday, working_days
from .opening import OpeningException, OpeningExceptionQuerySet
from .preferences import CalendarFeed, NotificationPreferences, new_feed_token
from .qualifications import Qualification, QualificationKind, QualificationQuerySet
from .resources import (
    EXPIRY_WARNING_DAYS,
    GRADE_IN_SENTENCE,
    GRADE_ORDER,
    CleanRoomGrade,
    ProtectionLevel,
    QualificationState,
    Resource,
    ResourceKind,
    ResourceQuerySet,
    grades_covering,
)
from .usage import UsageTotals

__all__ = [
    "ACTIVE_STATUSES",
    "EXPIRY_WARNING_DAYS",
    "GRADE_IN_SENTENCE",
    "GRADE_ORDER",
    "Booking",
    "BookingQuerySet",
    "BookingStatus",
    "CalendarFeed",
    "CleanRoomGrade",
    "Closure",
    "ClosureQuerySet",
    "ClosureReason",
    "Facility",
    "NotificationPreferences",
    "OpeningException",
    "OpeningExceptionQuerySet",
    "ProtectionLevel",
    "Qualification",
    "QualificationKind",
    "QualificationQuerySet",
    "QualificationState",
    "Resource",
    "ResourceKind",
    "ResourceQuerySet",
    "UsageTotals",
    "Weekday",
    "grades_covering",
    "new_feed_token",
    "resource_key",
    "status_badge",
    "working_days",
]
