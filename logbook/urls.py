from django.urls import path

from . import views

app_name = "logbook"

urlpatterns = [
    path("bookings/<int:pk>/check-in/", views.check_in, name="check_in"),
    path("bookings/<int:pk>/check-out/", views.check_out, name="check_out"),
    path("resources/<slug:slug>/logbook/", views.room_logbook, name="room_logbook"),
    path("resources/<slug:slug>/logbook/<str:kind>/<int:pk>/correct/", views.correct_record, name="correct_record"),
    path("resources/<slug:slug>/line-clearance/", views.line_clearance, name="line_clearance"),
    path("resources/<slug:slug>/cleaning/", views.record_cleaning, name="record_cleaning"),
    path("resources/<slug:slug>/monitoring/", views.record_monitoring, name="record_monitoring"),
    path("resources/<slug:slug>/quarantine/", views.quarantine, name="quarantine"),
    path("resources/<slug:slug>/release/", views.release, name="release"),
    path("facilities/<slug:slug>/status/", views.status_board, name="status_board"),
    path("deviations/", views.deviation_list, name="deviation_list"),
    path("deviations/new/", views.deviation_new, name="deviation_new"),
    path("deviations/<int:pk>/", views.deviation_detail, name="deviation_detail"),
    path("deviations/<int:pk>/close/", views.deviation_close, name="deviation_close"),
]
