from django.contrib import admin

from .models import Facility, Resource


@admin.register(Facility)
class FacilityAdmin(admin.ModelAdmin):
    list_display = ["name", "contact_email", "opens_at", "closes_at"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "facility", "grade", "room", "active"]
    list_filter = ["kind", "grade", "facility", "active"]
    search_fields = ["name", "equipment_type"]
    prepopulated_fields = {"slug": ["name"]}
    list_select_related = ["facility", "room"]
    autocomplete_fields = ["room"]
