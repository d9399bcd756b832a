from django.urls import path

from . import views

# Unnamespaced: djangosaml2 reverses its own names (saml2_login).
urlpatterns = [
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("saml2/metadata/", views.metadata, name="saml2_metadata"),
    path("saml2/login/", views.saml_login, name="saml2_login"),
    path("saml2/acs/", views.assertion_consumer_service, name="saml2_acs"),
]
