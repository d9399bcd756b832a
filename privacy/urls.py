from django.urls import path

from . import views

app_name = "privacy"

urlpatterns = [
    path("account/data.json", views.my_data, name="my_data"),
]
