"""Production serving: logs a collector can read."""

import json
import logging
import subprocess

import pytest

from atmp_portal.log_format import JsonLinesFormatter


def test_a_log_record_becomes_one_json_line_with_its_extra_fields():
    record = logging.LogRecord("facilities", logging.WARNING, __file__, 1, "Booking %s refused", ("42",), None)
    record.booking_id = 42

    line = JsonLinesFormatter().format(record)

    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "facilities"
    assert entry["message"] == "Booking 42 refused"
    assert entry["booking_id"] == 42


@pytest.mark.django_db
def test_a_request_for_a_host_the_portal_does_not_serve_is_refused_with_400(client, settings):
    settings.ALLOWED_HOSTS = ["atmp.example.org"]

    response = client.get("/healthz", headers={"host": "attacker.example"})

    assert response.status_code == 400


@pytest.mark.parametrize("target", ["run", "serve"])
def test_links_in_mail_and_feeds_follow_the_port_the_server_is_started_on(target):
    commands = subprocess.run(
        ["make", "--dry-run", "--always-make", target, "PORT=8001"], capture_output=True, text=True, check=True
    ).stdout

    server_line = next(line for line in commands.splitlines() if "runserver" in line or "gunicorn" in line)
    assert "SITE_URL=http://127.0.0.1:8001" in server_line
