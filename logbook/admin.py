"""The facility's settings for the logbook are edited here; the records themselves are read-only, as the
database keeps them (signing needs the password form of the pages)."""

from django.contrib import admin

from .models import (
    AlertLimit,
    ChecklistItem,
    Cleaning,
    CleaningAgent,
    Deviation,
    EmResult,
    LineClearance,
    RoomHold,
    RoomProgramme,
    RoomRelease,
    UseRecord,
)


@admin.register(RoomProgramme)
class RoomProgrammeAdmin(admin.ModelAdmin):
    list_display = ["room", "disinfection", "sporicide_interval_days", "clearance_between_batches"]
    list_select_related = ["room"]


@admin.register(ChecklistItem)
class ChecklistItemAdmin(admin.ModelAdmin):
    list_display = ["room", "position", "text"]
    list_filter = ["room"]
    list_select_related = ["room"]


@admin.register(CleaningAgent)
class CleaningAgentAdmin(admin.ModelAdmin):
    list_display = ["name", "sporicidal", "active"]


@admin.register(AlertLimit)
class AlertLimitAdmin(admin.ModelAdmin):
    list_display = ["grade", "method", "state", "limit"]
    list_filter = ["grade", "method"]


class RecordAdmin(admin.ModelAdmin):
    """Append-only records: readable, never added, changed or deleted here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(UseRecord)
class UseRecordAdmin(RecordAdmin):
    list_display = ["booking", "kind", "at", "recorded_by", "batch"]
    list_filter = ["kind"]
    list_select_related = ["booking__resource", "recorded_by"]


@admin.register(LineClearance, RoomRelease)
class SignedRoomRecordAdmin(RecordAdmin):
    list_display = ["room", "signed_at", "signed_by", "meaning", "corrects"]
    list_select_related = ["room", "signed_by"]


@admin.register(Cleaning)
class CleaningAdmin(RecordAdmin):
    list_display = ["room", "performed_at", "agent", "areas", "signed_by"]
    list_select_related = ["room", "agent", "signed_by"]


@admin.register(EmResult)
class EmResultAdmin(RecordAdmin):
    list_display = ["room", "sampled_at", "sampling_point", "method", "value", "alert_limit", "action_limit"]
    list_filter = ["method", "grade"]
    list_select_related = ["room"]


@admin.register(RoomHold)
class RoomHoldAdmin(RecordAdmin):
    list_display = ["room", "cause", "placed_at", "placed_by", "deviation"]
    list_select_related = ["room", "placed_by", "deviation"]


@admin.register(Deviation)
class DeviationAdmin(RecordAdmin):
    """Deviations change through their pages (investigation, QA's signed closure)."""

    list_display = ["code", "reported_at", "room", "category", "severity", "status"]
    list_filter = ["status", "severity", "category"]
    search_fields = ["code", "description"]
    list_select_related = ["room"]
