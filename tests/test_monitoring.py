"""Errors to Sentry: only where SENTRY_DSN is set, and without personal data."""

import json

from atmp_portal.monitoring import strip_personal_data
from tests.helpers import run_django

# A deployment's settings, then an error while Anna is logged in, caught by a transport that keeps it.
REPORT_AN_ERROR = """
import json
import django
django.setup()
import sentry_sdk
from sentry_sdk.transport import Transport

class Keep(Transport):
    def __init__(self):
        super().__init__()
        self.events = []
    def capture_envelope(self, envelope):
        self.events += [item.payload.json for item in envelope.items if item.type == "event"]

client = sentry_sdk.get_client()
if client.is_active():
    client.transport = kept = Keep()
    sentry_sdk.set_user({"id": 7, "username": "anna", "email": "anna@example.org", "ip_address": "10.1.2.3"})
    sentry_sdk.add_breadcrumb(category="auth", message="anna@example.org logged in", data={"user": "anna"})
    try:
        raise ValueError("the error")
    except ValueError:
        sentry_sdk.capture_exception()
    sentry_sdk.flush()
print(json.dumps({
    "active": client.is_active(),
    "send_default_pii": client.options["send_default_pii"],
    "include_local_variables": client.options["include_local_variables"],
    "events": kept.events if client.is_active() else [],
}))
"""


def _report(dsn):
    started = run_django({"SENTRY_DSN": dsn}, REPORT_AN_ERROR)
    assert started.returncode == 0, started.stderr
    return json.loads(started.stdout.strip().splitlines()[-1])


def test_without_a_dsn_nothing_goes_to_sentry():
    assert _report("")["active"] is False


def test_with_a_dsn_errors_go_to_sentry_without_who_caused_them():
    report = _report("http://public-key@127.0.0.1:9/1")

    assert report["active"] is True
    assert (report["send_default_pii"], report["include_local_variables"]) == (False, False)
    [event] = report["events"]
    assert event["exception"]["values"][0]["value"] == "the error"
    assert "user" not in event
    [breadcrumb] = event["breadcrumbs"]["values"]
    assert breadcrumb["category"] == "auth" and "message" not in breadcrumb and "data" not in breadcrumb


def test_a_request_keeps_its_address_and_method_but_not_what_identifies_the_sender():
    event = {
        "request": {
            "url": "https://atmp.example.org/bookings/new/",
            "method": "POST",
            "query_string": "q=Anna+Andersson",
            "cookies": {"sessionid": "secret"},
            "data": {"purpose": "Anna's batch"},
            "env": {"REMOTE_ADDR": "10.1.2.3"},
            "headers": {"Host": "atmp.example.org", "Cookie": "sessionid=secret", "X-Forwarded-For": "10.1.2.3"},
        },
        "user": {"ip_address": "10.1.2.3"},
    }

    assert strip_personal_data(event, {}) == {
        "request": {
            "url": "https://atmp.example.org/bookings/new/",
            "method": "POST",
            "headers": {"Host": "atmp.example.org"},
        }
    }
