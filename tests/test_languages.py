"""The portal speaks English and Swedish."""

import polib
import pytest
from django.conf import settings


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
