"""Errors to Sentry, without personal data: Sentry is a service outside the university, and the error
is what it needs. settings.py calls init_sentry only where SENTRY_DSN is set."""

import sentry_sdk

# Request headers that say nothing about the person who sent them.
KEPT_HEADERS = {"host", "content-type", "content-length", "accept", "accept-language"}


def init_sentry(dsn: str, *, environment: str) -> None:
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        # No user, no cookies, no request body, no address: and before_send removes what slips through.
        send_default_pii=False,
        max_request_body_size="never",
        # A frame's local variables hold forms, users and bookings.
        include_local_variables=False,
        before_send=strip_personal_data,
    )


def strip_personal_data(event: dict, hint: dict) -> dict:
    """The event without who sent the request and what they sent: no user, cookies, body, query string
    or personal headers, and breadcrumbs without their messages (log lines name people)."""
    event.pop("user", None)
    request = event.get("request")
    if request:
        for key in ("cookies", "data", "query_string", "env"):
            request.pop(key, None)
        request["headers"] = {
            name: value for name, value in (request.get("headers") or {}).items() if name.lower() in KEPT_HEADERS
        }
    for breadcrumb in (event.get("breadcrumbs") or {}).get("values", []):
        breadcrumb.pop("message", None)
        breadcrumb.pop("data", None)
    return event
