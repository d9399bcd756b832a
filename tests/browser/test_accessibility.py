"""Every main page passes axe-core's WCAG 2.1 A and AA rules, in English and Swedish."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from facilities.models import Booking
from logbook.models import Cleaning, Deviation
from projects import services
from projects.models import AtmpProject, Invitation, ResearchGroup
from tests.helpers import demo_confirmation_pages


def invitation_of(username):
    """A new link inviting the user to the stem-cell lab, as its PI would send it."""
    email = get_user_model().objects.get(username=username).email
    group = ResearchGroup.objects.select_related("pi").get(slug="stem-cell-lab")
    Invitation.objects.filter(email=email).delete()
    _invitation, token = services.invite_member(group, email=email, role="member", actor=group.pi)
    return reverse("projects:invitation", args=[token])


WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}

# (who, path or a function of the demo data giving it, the button that shows the form's errors)
PAGES = [
    (None, "/accounts/login/", None),
    (None, "/accounts/login/", "Log in"),
    (None, "/accounts/password_reset/", None),
    ("researcher", "/", None),
    ("researcher", "/groups/", None),
    ("researcher", "/groups/stem-cell-lab/", None),
    ("researcher", "/projects/", None),
    ("researcher", lambda: AtmpProject.objects.get(acronym="HSC-LV").get_absolute_url(), None),
    ("researcher", "/projects/new/", "Save"),
    ("researcher", lambda: AtmpProject.objects.get(acronym="HSC-LV").get_absolute_url() + "documents/", "Upload"),
    ("researcher", "/bookings/", None),
    ("researcher", "/bookings/new/?resource=grade-b-suite-1", "Book"),
    ("researcher", lambda: Booking.objects.filter(booked_by__username="researcher").first().get_absolute_url(), None),
    ("researcher", "/facilities/", None),
    ("researcher", "/facilities/pre-gmp/", None),
    ("researcher", "/facilities/pre-gmp/schedule/", None),
    ("researcher", "/facilities/pre-gmp/schedule/?days=7", None),
    ("researcher", "/resources/grade-b-suite-1/", None),
    ("researcher", "/resources/grade-b-suite-1/month/", None),
    ("researcher", "/resources/grade-b-suite-1/?week=garbage", None),
    ("researcher", "/bookings/free/?resources=grade-b-suite-1&duration=120", None),
    ("researcher", "/bookings/calendar/", None),
    ("researcher", "/qualifications/", None),
    ("researcher", "/group-applications/", None),
    ("researcher", "/group-applications/new/", "Send the application"),
    ("researcher", lambda: invitation_of("outsider"), None),
    ("researcher", "/account/tokens/", None),
    ("researcher", "/account/tokens/", "Create token"),
    ("facility", "/", None),
    ("facility", "/bookings/pending/", None),
    ("facility", "/closures/", None),
    ("facility", "/qualifications/manage/", None),
    ("facility", "/reports/usage/", None),
    ("facility", "/reports/usage/?month=garbage", None),
    ("reviewer", "/", None),
    ("reviewer", "/projects/portfolio/", None),
    ("reviewer", "/group-applications/review/", None),
    ("pi", "/groups/stem-cell-lab/", None),
    ("outsider", lambda: invitation_of("outsider"), None),
    ("researcher", "/deviations/", None),
    ("researcher", "/deviations/new/", "Report"),
    ("researcher", "/resources/grade-b-suite-1/logbook/", None),
    ("researcher", "/resources/grade-b-suite-1/line-clearance/", "Sign"),
    (
        "researcher",
        lambda: (
            Booking.objects.filter(booked_by__username="researcher", period__startswith__gt=timezone.now())
            .order_by("period")
            .first()
            .get_absolute_url()
            + "check-in/"
        ),
        "Check in",
    ),
    ("facility", "/facilities/pre-gmp/status/", None),
    ("facility", "/resources/grade-b-suite-1/cleaning/", "Sign"),
    ("facility", "/resources/grade-b-suite-1/monitoring/", "Sign"),
    (
        "facility",
        lambda: (
            f"/resources/grade-b-suite-1/logbook/cleaning/{Cleaning.objects.filter(room__slug='grade-b-suite-1').first().pk}/correct/"
        ),
        "Sign the correction",
    ),
    ("qa", lambda: Deviation.objects.order_by("pk").first().get_absolute_url(), None),
    ("qa", "/resources/grade-b-suite-2/release/", "Sign"),
    ("qa", "/resources/grade-b-suite-2/logbook/", None),
]


def violations_on(page, axe):
    results = axe.run(page, options=WCAG_21_AA)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} times, e.g. {v['nodes'][0]['target']})"
        for v in results.response["violations"]
    ]


@pytest.mark.parametrize("language", ["en", "sv"])
def test_main_pages_have_no_wcag_violations(demo, log_in, live_server, page, language):
    axe = Axe()
    found = {}
    current_user = "nobody"
    confirmations = [(who, path, None) for who, path in demo_confirmation_pages()]
    for who, path, error_button in PAGES + confirmations:
        if who != current_user:
            page.context.clear_cookies()
            if who:
                log_in(who)
            current_user = who
        page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        page.goto(live_server.url + (path() if callable(path) else path))
        if error_button:
            page.get_by_role("button", name=_translated(error_button, language), exact=True).click()
        problems = violations_on(page, axe)
        if problems:
            found[f"{who} {page.url}{' (errors)' if error_button else ''}"] = problems
    assert found == {}, "\n".join(f"{where}: {problems}" for where, problems in found.items())


def _translated(text, language):
    from django.utils import translation

    with translation.override(language):
        return translation.gettext(text)


# The identity provider's answer arrives as a POST from its own site: here, one that is no answer.
POST_A_BROKEN_ANSWER = """() => {
    const form = Object.assign(document.createElement("form"), {method: "post", action: "/saml2/acs/"});
    form.append(Object.assign(document.createElement("input"), {name: "SAMLResponse", value: "not an answer"}));
    document.body.append(form);
    form.submit();
}"""


@pytest.mark.parametrize("language", ["en", "sv"])
def test_university_login_pages_have_no_wcag_violations(transactional_db, saml, settings, live_server, page, language):
    axe = Axe()
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_role("link", name=_translated("Log in with your university account", language)).wait_for()
    found = {"login": violations_on(page, axe)}
    with page.expect_navigation():
        page.evaluate(POST_A_BROKEN_ANSWER)
    page.get_by_role("heading", name=_translated("University login failed", language)).wait_for()
    found["refusal"] = violations_on(page, axe)
    settings.SAML_CONFIG = {**saml.sp_settings, "metadata": {"local": ["/nonexistent/idp-metadata.xml"]}}
    page.goto(live_server.url + "/saml2/login/")
    page.get_by_role("heading", name=_translated("University login is unavailable", language)).wait_for()
    found["unavailable"] = violations_on(page, axe)
    assert found == {"login": [], "refusal": [], "unavailable": []}
