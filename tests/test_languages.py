"""The portal speaks English and Swedish."""

import datetime
import re
from decimal import Decimal

import polib
import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import translation

from atmp_portal.formats.en import formats as formats_en
from atmp_portal.formats.sv import formats as formats_sv


def test_every_swedish_message_is_translated():
    catalogue = polib.pofile(str(settings.BASE_DIR / "locale" / "sv" / "LC_MESSAGES" / "django.po"))
    untranslated = [entry.msgid for entry in catalogue.untranslated_entries() + catalogue.fuzzy_entries()]
    assert untranslated == []


@pytest.mark.django_db
def test_a_swedish_browser_gets_swedish_pages(client):
    response = client.get("/accounts/login/", headers={"accept-language": "sv"})
    assert '<html lang="sv">' in response.text
    assert "Logga in" in response.text


@pytest.mark.django_db
def test_the_language_switcher_changes_the_language(client):
    response = client.post("/i18n/setlang/", {"language": "sv", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert "Logga in" in client.get("/accounts/login/").text


@pytest.mark.django_db
def test_the_language_switcher_keeps_a_signed_in_users_choice_for_their_e_mails(client, booker):
    from facilities.services import language_of

    client.post("/i18n/setlang/", {"language": "sv", "next": "/"})
    assert language_of(booker) == "en"  # signed out, the choice is the browser's only
    client.force_login(booker)
    response = client.post("/i18n/setlang/", {"language": "sv", "next": "/"})
    assert response.status_code == 302
    assert language_of(booker) == "sv"
    client.post("/i18n/setlang/", {"language": "xx", "next": "/"})
    assert language_of(booker) == "sv"


@pytest.mark.django_db
def test_the_preferences_page_sets_the_language_of_e_mails(client, booker):
    from django.urls import reverse

    from facilities.services import language_of

    client.force_login(booker)
    page = reverse("facilities:calendar_settings")
    assert 'name="language"' in client.get(page).text
    response = client.post(page, {"booking_reminders": "on", "language": "sv"})
    assert response.status_code == 302
    assert language_of(booker) == "sv"
    assert client.post(page, {"language": "xx"}).status_code == 200  # not a choice: the form says so
    assert language_of(booker) == "sv"


def _render(text: str, language: str, **context) -> str:
    with translation.override(language):
        return Template(text).render(Context(context))


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("sv", "tis 8 dec · 26 mars 2027 · tis 8 dec 2026 10:00 · 12\xa0345 kr · 1\xa0234,50 kr"),
        ("en", "Tue 8 Dec · 26 March 2027 · Tue 8 Dec 2026 10:00 · 12,345 SEK · 1,234.50 SEK"),
    ],
)
def test_dates_and_money_the_way_each_language_writes_them(language, expected):
    moment = datetime.datetime(2026, 12, 8, 10, 0)
    template = '{{ moment|date:"DAY_FORMAT" }} · {{ day|date }} · {{ moment|date:"DATETIME_FORMAT" }} · '
    template += "{{ whole|money }} · {{ part|money }}"
    context = {"moment": moment, "day": datetime.date(2027, 3, 26), "whole": Decimal(12345), "part": Decimal("1234.5")}
    assert _render(template, language, **context) == expected


def test_both_languages_name_the_same_date_formats():
    """A template naming a format one language lacks would print the name as the date."""
    names = {name for name in dir(formats_en) if name.endswith("_FORMAT")}
    assert names == {name for name in dir(formats_sv) if name.endswith("_FORMAT")}
    used = set()
    for path in (settings.BASE_DIR / "templates").rglob("*.*"):
        used |= set(re.findall(r'\|(?:date|time):"([^"]*)"', path.read_text()))
    assert used and used <= names


@pytest.mark.parametrize("amount", [None, "", "not a number"])
def test_money_of_nothing_is_nothing(amount):
    assert _render("{{ amount|money }}", "sv", amount=amount) == ""
