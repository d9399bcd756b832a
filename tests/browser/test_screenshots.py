"""Screenshots for the README, in English and Swedish.

They are written to docs/screenshots/ only with UPDATE_SCREENSHOTS=1
(`make screenshots`); otherwise to a temporary folder, so that a test run
leaves the work tree as it was.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings

SCREENS = [
    ("dashboard", "researcher", "/"),
    ("resource-week", "researcher", "/resources/grade-b-suite-1/"),
    ("booking-form", "researcher", "/bookings/new/?resource=grade-b-suite-1"),
]


@pytest.mark.parametrize("language", ["en", "sv"])
def test_screenshots(demo, log_in, live_server, page, language, tmp_path):
    folder = settings.BASE_DIR / "docs" / "screenshots" if os.environ.get("UPDATE_SCREENSHOTS") else tmp_path
    page.set_viewport_size({"width": 1320, "height": 800})
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    log_in("researcher")
    for name, _who, path in SCREENS:
        page.goto(live_server.url + path)
        target = Path(folder) / f"{name}-{language}.png"
        page.screenshot(path=str(target))
        assert target.stat().st_size > 10_000
