from django.urls import path

from . import views

app_name = "audit"

urlpatterns = [
    path("history/<str:model>/<int:pk>/", views.object_history, name="object_history"),
]
