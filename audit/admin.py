from django.shortcuts import redirect


class AuditHistoryAdminMixin:
    """The admin's "History" button opens the object's audit trail (old and new values, who, why)
    instead of Django's own log, which misses bulk updates and raw SQL."""

    def history_view(self, request, object_id, extra_context=None):
        from .services import TRACKED_NAMES

        return redirect("audit:object_history", TRACKED_NAMES[self.model], object_id)
