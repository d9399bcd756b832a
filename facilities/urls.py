from django.urls import path

from . import views

app_name = "facilities"

urlpatterns = [
    path("facilities/", views.facility_list, name="facility_list"),
    path("facilities/<slug:slug>/", views.facility_detail, name="facility_detail"),
    path("facilities/<slug:slug>/schedule/", views.facility_schedule, name="facility_schedule"),
    path("resources/<slug:slug>/", views.resource_detail, name="resource_detail"),
    path("resources/<slug:slug>/month/", views.resource_month, name="resource_month"),
    path("bookings/", views.booking_list, name="booking_list"),
    path("bookings/new/", views.booking_new, name="booking_new"),
    path("bookings/pending/", views.pending, name="pending"),
    path("bookings/free/", views.free_time, name="free_time"),
    path("bookings/calendar/", views.calendar_settings, name="calendar_settings"),
    path("bookings/calendar/regenerate/", views.calendar_regenerate, name="calendar_regenerate"),
    path("calendar/<slug:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("calendar/<slug:token>/resources/<slug:slug>.ics", views.resource_feed, name="resource_feed"),
    path("bookings/series/<uuid:series>/", views.series_detail, name="series_detail"),
    path("bookings/series/<uuid:series>/approve/", views.series_approve, name="series_approve"),
    path("bookings/series/<uuid:series>/reject/", views.series_reject, name="series_reject"),
    path("bookings/series/<uuid:series>/cancel/", views.series_cancel, name="series_cancel"),
    path("bookings/<int:pk>/", views.booking_detail, name="booking_detail"),
    path("bookings/<int:pk>/cancel/", views.booking_cancel, name="booking_cancel"),
    path("bookings/<int:pk>/approve/", views.booking_approve, name="booking_approve"),
    path("bookings/<int:pk>/reject/", views.booking_reject, name="booking_reject"),
    path("reports/usage/", views.usage_report, name="usage_report"),
    path("closures/", views.closure_list, name="closures"),
    path("closures/<int:pk>/edit/", views.closure_edit, name="closure_edit"),
    path("closures/<int:pk>/delete/", views.closure_delete, name="closure_delete"),
    path("qualifications/", views.my_qualifications, name="my_qualifications"),
    path("qualifications/manage/", views.qualification_manage, name="qualification_manage"),
    path("qualifications/<int:pk>/renew/", views.qualification_renew, name="qualification_renew"),
]
