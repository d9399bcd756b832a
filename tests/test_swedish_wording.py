"""The Swedish wording a GMP/ATMP expert corrected, read from the compiled catalogue."""

import datetime

import polib
import pytest
from django.conf import settings
from django.utils import translation

from facilities.models import (
    GRADE_IN_SENTENCE,
    BookingStatus,
    CleanRoomGrade,
    ProtectionLevel,
    QualificationState,
    Resource,
)
from facilities.models.facility import Weekday
from projects.models import AtmpClass, AtmpProject, GeneticModification, MilestoneKind, ProjectStatus

CORRECTED = [
    (lambda: BookingStatus.REQUESTED.label, "Väntar på godkännande"),
    (lambda: BookingStatus.REJECTED.label, "Avslagen"),
    (lambda: ProjectStatus.REJECTED.label, "Avslaget"),
    (lambda: CleanRoomGrade.A_IN_B.label, "Klass A-zon i klass B-rum"),
    (lambda: GRADE_IN_SENTENCE[CleanRoomGrade.A_IN_B], "klass A-zon i klass B-rum"),
    (lambda: GRADE_IN_SENTENCE[CleanRoomGrade.B], "renrumsklass B"),
    (
        lambda: (
            Resource(
                qualification_status=QualificationState.QUALIFIED, requalification_due=datetime.date(2000, 1, 1)
            ).qualification_status_label
        ),
        "Omkvalificering krävs",
    ),
    (lambda: AtmpClass.TEP.label, "Vävnadstekniskt framställd produkt (TEP)"),
    (lambda: GeneticModification.AAV.label, "Adenoassocierad virusvektor (AAV)"),
    (lambda: MilestoneKind.PRIME.label, "Antagen till PRIME"),
    (lambda: ProtectionLevel.LEVEL_2.label, "Skyddsnivå 2"),
    (lambda: Resource._meta.get_field("protection_level").verbose_name, "skyddsnivå"),
    (lambda: Weekday.MONDAY.label, "måndag"),
]


@pytest.mark.parametrize(("term", "swedish"), CORRECTED, ids=[swedish for _term, swedish in CORRECTED])
def test_each_corrected_term_is_in_the_compiled_catalogue(term, swedish):
    with translation.override("sv"):
        assert str(term()) == swedish


def test_line_clearance_and_the_safety_cabinet_have_their_swedish_names():
    with translation.override("sv"):
        changeover_help = str(Resource._meta.get_field("changeover_minutes").help_text)
        rooms_help = str(AtmpProject._meta.get_field("rooms_needed").help_text)
    assert "linjeklarering" in changeover_help
    assert "säkerhetsbänk klass II (klass A-zon)" in rooms_help


def test_no_translation_keeps_the_old_errors():
    catalogue = polib.mofile(str(settings.BASE_DIR / "locale" / "sv" / "LC_MESSAGES" / "django.mo"))
    translations = [entry.msgstr for entry in catalogue]
    for wrong in ("röjning", "LAF-bänk", "Begärd", "Behörighet för PRIME", "Dags för omkvalificering"):
        assert not [text for text in translations if wrong in text], wrong
    with translation.override("sv"):
        assert all(str(day.label).islower() for day in Weekday)
    # Grades keep a capital only where the text begins with them.
    assert not [text for text in translations if " Renrumsklass" in text]
