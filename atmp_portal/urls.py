from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from api.urls import api_urls

from . import views
from .forms import PasswordResetForm

handler500 = "atmp_portal.views.server_error"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    # The login page and university login (SAML) first: accounts.urls replaces Django's login view.
    path("", include("accounts.urls")),
    path(
        "accounts/password_reset/",
        auth_views.PasswordResetView.as_view(form_class=PasswordResetForm),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("", include("projects.urls")),
    path("", include("facilities.urls")),
    path("", include("logbook.urls")),
    path("", include("audit.urls")),
    path("", include("privacy.urls")),
    path("", include("api.urls")),
    path("api/v1/", api_urls),
]
