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
