from django.contrib.auth.decorators import login_not_required
from django.urls import path
from django.views.decorators.http import require_safe

from . import views
from .endpoints import api

app_name = "tokens"

urlpatterns = [
    path("account/tokens/", views.token_list, name="token_list"),
    path("account/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
]


def token_authenticated(urls):
    """The API's URLs, which answer a call without a valid token with 401, not with a redirect to the login page.

    Its documentation page is a page like the others: for signed-in users. The schema is public: it describes
    the API, holds no data, and code generators fetch it without a session.
    """
    patterns, _app_name, _namespace = urls
    for pattern in patterns:
        if pattern.name in ("openapi-json", "openapi-view"):
            pattern.callback = require_safe(pattern.callback)
        if pattern.name != "openapi-view":
            login_not_required(pattern.callback)
    return urls


api_urls = token_authenticated(api.urls)
