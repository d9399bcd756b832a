"""No page scrolls sideways at phone, tablet and desktop widths, and the header's language control stays readable."""

import pytest

WIDTHS = [375, 768, 1280, 1440]

# (who, path): the pages people use most, each as the role that uses it. More pages join here.
MAIN_PAGES = [
    ("researcher", "/"),
    ("researcher", "/projects/"),
    ("researcher", "/bookings/"),
    ("researcher", "/resources/grade-b-suite-1/"),
    ("researcher", "/facilities/pre-gmp/"),
    ("researcher", "/facilities/pre-gmp/schedule/"),
    ("researcher", "/facilities/pre-gmp/schedule/?days=7"),
    ("researcher", "/bookings/new/?resource=grade-b-suite-1"),
    ("facility", "/"),
    ("facility", "/bookings/pending/"),
    ("facility", "/reports/usage/"),
    ("facility", "/resources/grade-b-suite-1/"),
    ("facility", "/facilities/pre-gmp/"),
    ("admin", "/"),
]

# How far the page reaches beyond the window, and whether the language control's text is whole and in view.
MEASURE = """() => {
    const control = document.querySelector("#language-menu summary");
    const name = control ? control.querySelector("[lang]") : null;
    const box = control ? control.getBoundingClientRect() : null;
    return {
        overflow: document.documentElement.scrollWidth - window.innerWidth,
        languageText: name ? name.innerText.trim() : "",
        languageVisible: !!box && box.width > 0 && box.height > 0 && box.left >= 0 && box.right <= window.innerWidth,
        languageClipped: !!control && control.scrollWidth > control.clientWidth,
    };
}"""


@pytest.mark.parametrize("language", ["en", "sv"])
def test_main_pages_fit_every_width(demo, log_in, live_server, page, language):
    problems = []
    current_user = None
    for who, path in MAIN_PAGES:
        if who != current_user:
            page.context.clear_cookies()
            log_in(who)
            current_user = who
        page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(live_server.url + path)
            found = page.evaluate(MEASURE)
            where = f"{who} {path} at {width}px"
            if found["overflow"] > 0:
                problems.append(f"{where}: the page is {found['overflow']}px wider than the window")
            if not (found["languageText"] and found["languageVisible"]) or found["languageClipped"]:
                problems.append(f"{where}: the language control does not show its text ({found})")
    assert problems == [], "\n".join(problems)
