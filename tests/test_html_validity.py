"""The main pages are valid HTML, as the Nu Html Checker (vnu.jar, npm package vnu-jar) sees them.

`make test` fetches the checker with npm into .tools/; where Java or the
checker is missing, the test is skipped and says what to install.
"""

import json
import shutil
import subprocess

import pytest
from django.conf import settings
from django.core.management import call_command

from tests.helpers import demo_confirmation_pages

VNU_JAR = settings.BASE_DIR / ".tools" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"

# With university login on (the saml fixture), which adds to the login page.
PAGES = [
    (None, "/accounts/login/"),
    ("researcher", "/"),
    ("researcher", "/groups/stem-cell-lab/"),
    ("researcher", "/projects/"),
    ("researcher", "/projects/new/"),
    ("researcher", "/bookings/"),
    ("researcher", "/bookings/new/?resource=grade-b-suite-1"),
    ("researcher", "/facilities/pre-gmp/"),
    ("researcher", "/facilities/pre-gmp/schedule/?days=7"),
    ("researcher", "/resources/grade-b-suite-1/"),
    ("researcher", "/resources/grade-b-suite-1/month/"),
    ("researcher", "/bookings/free/"),
    ("researcher", "/bookings/calendar/"),
    ("researcher", "/account/tokens/"),
    ("facility", "/"),
    ("facility", "/bookings/new/?resource=grade-b-suite-1&q=lentiviral"),
    ("facility", "/bookings/pending/"),
    ("facility", "/closures/"),
    ("facility", "/reports/usage/"),
    ("reviewer", "/projects/portfolio/"),
    ("reviewer", "/group-applications/review/"),
    ("researcher", "/group-applications/"),
    ("researcher", "/group-applications/new/"),
    ("pi", "/groups/stem-cell-lab/"),
    ("researcher", "/deviations/"),
    ("researcher", "/deviations/new/"),
    ("researcher", "/resources/grade-b-suite-1/logbook/"),
    ("researcher", "/resources/grade-b-suite-1/line-clearance/"),
    ("facility", "/facilities/pre-gmp/status/"),
    ("facility", "/resources/grade-b-suite-1/cleaning/"),
    ("facility", "/resources/grade-b-suite-1/monitoring/"),
    ("qa", "/resources/grade-b-suite-2/release/"),
    ("qa", "/resources/grade-b-suite-2/logbook/"),
]


@pytest.mark.skipif(not shutil.which("java") or not VNU_JAR.exists(), reason="needs java and `make tools` (vnu-jar)")
@pytest.mark.django_db
def test_main_pages_are_valid_html(client, settings, saml, tmp_path, django_user_model):
    settings.DEBUG = True
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    files = {}
    for n, (who, path) in enumerate(PAGES + demo_confirmation_pages()):
        client.logout()
        if who:
            client.force_login(django_user_model.objects.get(username=who))
        response = client.get(path)
        assert response.status_code == 200, path
        page = tmp_path / f"page{n}.html"
        page.write_bytes(response.content)
        files[str(page)] = f"{who} {path}"
    result = subprocess.run(
        ["java", "-jar", str(VNU_JAR), "--format", "json", "--exit-zero-always", *files],
        capture_output=True,
        text=True,
        timeout=120,
    )
    messages = json.loads(result.stderr)["messages"]
    errors = [
        f"{files[m['url'].removeprefix('file:')]}: line {m.get('lastLine')}: {m['message']}"
        for m in messages
        if m["type"] == "error"
    ]
    assert errors == []
