"""ATMP projects: what they are, their status, their reference codes and who sees them."""

import pghistory
from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchQuery, SearchVector, SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from atmp_portal import roles
from atmp_portal.counters import YearlyCounter
from facilities.usage_totals import forgetting_all

from .fields import ChoiceArrayField
from .groups import ResearchGroup


class AtmpClass(models.TextChoices):
    GTMP = "gtmp", _("Gene therapy medicinal product (GTMP)")
    SCTMP = "sctmp", _("Somatic cell therapy medicinal product (sCTMP)")
    TEP = "tep", _("Tissue-engineered product (TEP)")
    COMBINED = "combined", _("Combined ATMP")
    UNCLASSIFIED = "unclassified", _("Not yet classified")


class CellOrigin(models.TextChoices):
    AUTOLOGOUS = "autologous", _("Autologous")
    ALLOGENEIC = "allogeneic", _("Allogeneic")
    XENOGENEIC = "xenogeneic", _("Xenogeneic")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


class GeneticModification(models.TextChoices):
    """Vectors and modifications of the product; a project names every one it uses, or "none"."""

    NONE = "none", _("None")
    LENTIVIRAL = "lentiviral", _("Lentiviral vector")
    GAMMA_RETROVIRAL = "gamma_retroviral", _("Gamma-retroviral vector")
    AAV = "aav", _("Adeno-associated viral vector (AAV)")
    ADENOVIRAL = "adenoviral", _("Adenoviral vector")
    HSV = "hsv", _("HSV / oncolytic virus")
    TRANSPOSON = "transposon", _("Transposon (Sleeping Beauty, PiggyBac)")
    MRNA = "mrna", _("mRNA")
    PLASMID = "plasmid", _("Plasmid")
    GENE_EDITING = "gene_editing", _("Genome editing (CRISPR, TALEN, ZFN)")
    TRANSFECTION = "transfection", _("Non-viral transfection / electroporation")
    OTHER = "other", _("Other")


# Viral vectors make the product a GMO in contained use.
VIRAL_VECTORS = frozenset(
    {
        GeneticModification.LENTIVIRAL,
        GeneticModification.GAMMA_RETROVIRAL,
        GeneticModification.AAV,
        GeneticModification.ADENOVIRAL,
        GeneticModification.HSV,
    }
)


class DevelopmentStage(models.TextChoices):
    """Where the product is in its development; manufacturing is an activity of several stages, not a stage."""

    DISCOVERY = "discovery", _("Discovery")
    PRECLINICAL = "preclinical", _("Preclinical (proof of concept)")
    PROCESS_DEVELOPMENT = "process_development", _("Process development / pre-GMP")
    TECH_TRANSFER = "tech_transfer", _("Technology transfer to GMP")
    GLP_TOXICOLOGY = "glp_toxicology", _("GLP toxicology")
    PHASE_I = "phase_1", _("Clinical phase I")
    PHASE_I_II = "phase_1_2", _("Clinical phase I/II")
    PHASE_II = "phase_2", _("Clinical phase II")
    PHASE_III = "phase_3", _("Clinical phase III")
    MAA = "maa", _("Marketing authorisation application")
    AUTHORISED = "authorised", _("Authorised")


TRL_HELP = _(
    "1 basic principles observed; 2 technology concept formulated; 3 experimental proof of concept; "
    "4 validated in the laboratory; 5 validated in a relevant environment (e.g. pre-GMP process); "
    "6 demonstrated in a relevant environment (e.g. GMP batches); 7 demonstrated in patients (early clinical "
    "trials); 8 complete and qualified (pivotal trials, marketing application); 9 proven in routine use."
)


def no_modification() -> list[str]:
    return [GeneticModification.NONE]


class GmoClass(models.IntegerChoices):
    """Contained use of genetically modified micro-organisms, Directive 2009/41/EC."""

    NONE = 0, _("No GMO")
    CLASS_1 = 1, _("Contained use class 1")
    CLASS_2 = 2, _("Contained use class 2")
    CLASS_3 = 3, _("Contained use class 3")
    CLASS_4 = 4, _("Contained use class 4")


class ProjectStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    UNDER_REVIEW = "under_review", _("Under review")
    ACCEPTED = "accepted", _("Accepted")
    ACTIVE = "active", _("Active")
    COMPLETED = "completed", _("Completed")
    REJECTED = "rejected", pgettext_lazy("project status", "Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# Projects in these states are admitted to the facility and may book it.
ADMITTED_STATUSES = (ProjectStatus.ACCEPTED, ProjectStatus.ACTIVE)


class ReferenceCounter(YearlyCounter):
    """The last project reference number given per year."""

    class Meta:
        verbose_name = _("reference counter")
        verbose_name_plural = _("reference counters")

    @classmethod
    def next_code(cls, year: int) -> str:
        """Take the next ``ATMP-YYYY-NNNN`` code; one atomic statement, safe under concurrency."""
        return cls.next_codes(year, 1)[0]

    @classmethod
    def next_codes(cls, year: int, count: int) -> list[str]:
        """Take the next ``count`` codes of ``year`` at once (bulk loads), in one atomic statement."""
        return [f"ATMP-{year}-{number:04d}" for number in cls.take(year, count)]


# The language the project's searchable text (AtmpProject.search_vector) is parsed in, and searches with it.
SEARCH_CONFIG = "english"


def in_choice_order(field: str, choices: type[models.Choices]) -> models.Func:
    """Sorts a choice field in the order its choices are declared (e.g. discovery before authorised).

    The value's position in the array of the choices: one expression, where a CASE of one WHEN per choice
    costs the list page a tenth of a millisecond per choice to build.
    """
    return models.Func(
        models.Value(list(choices.values)),
        models.F(field),
        function="array_position",
        output_field=models.IntegerField(),
    )


class AtmpProjectQuerySet(models.QuerySet):
    def with_workflow_order(self):
        """Annotate ``stage_order`` and ``status_order``, to sort along development and workflow."""
        return self.annotate(
            stage_order=in_choice_order("stage", DevelopmentStage),
            status_order=in_choice_order("status", ProjectStatus),
        )

    def matching(self, text: str):
        """Full-text search over code, title, acronym, lay summary and indication (their stored search vector)."""
        return self.filter(search_vector=SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch"))

    def admitted(self):
        """Projects admitted to the facility: they may book it."""
        return self.filter(status__in=ADMITTED_STATUSES)

    def awaiting_review(self):
        """Submissions the centre's reviewers have still to decide on."""
        return self.filter(status__in=(ProjectStatus.SUBMITTED, ProjectStatus.UNDER_REVIEW))

    def of_member(self, user):
        """Projects of the user's own research groups."""
        return self.filter(group__in=ResearchGroup.objects.with_member(user))

    def visible_to(self, user):
        """Projects hold unpublished science: members of the group, reviewers, facility staff and admins see them."""
        if roles.is_centre_staff(user):
            return self
        if not user.is_authenticated:
            return self.none()
        return self.of_member(user)

    def bookable_by(self, user):
        """Projects the user may book the facility for: admitted projects of the user's own groups."""
        return self.admitted().of_member(user)


@pghistory.track(exclude=["search_vector"])  # derived from the tracked text
class AtmpProject(models.Model):
    code = models.CharField(_("reference code"), max_length=20, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=300)
    acronym = models.CharField(_("acronym"), max_length=40, blank=True)
    group = models.ForeignKey(
        ResearchGroup, on_delete=models.PROTECT, related_name="projects", verbose_name=_("research group")
    )
    project_lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="led_projects",
        verbose_name=_("project lead"),
    )
    lay_summary = models.TextField(_("lay summary"), max_length=3000, blank=True)
    description = models.TextField(_("description"), max_length=10000, blank=True)
    atmp_class = models.CharField(
        _("ATMP class"), max_length=20, choices=AtmpClass.choices, default=AtmpClass.UNCLASSIFIED
    )
    cell_origin = models.CharField(
        _("cell origin"), max_length=20, choices=CellOrigin.choices, default=CellOrigin.NOT_APPLICABLE
    )
    starting_material = models.CharField(_("starting material"), max_length=300, blank=True)
    genetic_modification = ChoiceArrayField(
        models.CharField(max_length=20, choices=GeneticModification.choices),
        verbose_name=_("genetic modifications / vectors"),
        default=no_modification,
        help_text=_("Every vector and modification the product uses, or “None”."),
    )
    indication = models.CharField(_("indication"), max_length=300, blank=True)
    therapeutic_area = models.CharField(_("therapeutic area"), max_length=100, blank=True)
    stage = models.CharField(
        _("development stage"), max_length=30, choices=DevelopmentStage.choices, default=DevelopmentStage.DISCOVERY
    )
    trl = models.PositiveSmallIntegerField(
        _("technology readiness level (TRL)"),
        default=1,
        help_text=TRL_HELP,
        validators=[MinValueValidator(1), MaxValueValidator(9)],
    )
    gmo_class = models.PositiveSmallIntegerField(
        _("GMO contained-use class"), choices=GmoClass.choices, default=GmoClass.NONE
    )
    gmo_reference = models.CharField(_("GMO notification or permit reference"), max_length=100, blank=True)
    ethics_reference = models.CharField(_("ethics approval reference"), max_length=100, blank=True)
    hospital_partners = models.CharField(
        _("hospital partners"), max_length=500, blank=True, help_text=_("Clinics and hospitals taking part.")
    )
    industry_partners = models.CharField(_("industry partners"), max_length=500, blank=True)
    academic_partners = models.CharField(_("academic partners"), max_length=500, blank=True)
    rooms_needed = models.TextField(
        _("clean rooms needed"),
        max_length=2000,
        blank=True,
        help_text=_("Grades and rooms, e.g. a grade B suite with a grade A cabinet."),
    )
    equipment_needed = models.TextField(_("equipment needed"), max_length=2000, blank=True)
    expected_start = models.DateField(_("expected start in the facility"), null=True, blank=True)
    expected_end = models.DateField(_("expected end in the facility"), null=True, blank=True)
    campaign_days = models.PositiveSmallIntegerField(
        _("campaign length (clean-room days)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("Clean-room days one manufacturing campaign takes."),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ProjectStatus.choices, default=ProjectStatus.DRAFT, editable=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Stored, with a GIN index: a search tests each project's words as kept, rather than parsing its text again.
    search_vector = models.GeneratedField(
        expression=SearchVector("code", "title", "acronym", "lay_summary", "indication", config=SEARCH_CONFIG),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    objects = AtmpProjectQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("ATMP project")
        verbose_name_plural = _("ATMP projects")
        constraints = [
            models.CheckConstraint(condition=models.Q(trl__gte=1, trl__lte=9), name="project_trl_1_to_9"),
            models.CheckConstraint(
                condition=models.Q(expected_end__gte=models.F("expected_start"))
                | models.Q(expected_end__isnull=True)
                | models.Q(expected_start__isnull=True),
                name="project_facility_end_after_start",
                violation_error_message=_("The expected end in the facility comes before its start."),
            ),
        ]
        triggers = [forgetting_all("usage_totals_group", "group")]
        indexes = [
            # Without a pending list: each search reads the index's tree alone, never an unsorted list of recent
            # changes that grows until a vacuum. Projects change by hand, a few times a day, so writes barely notice.
            GinIndex("search_vector", name="project_search_gin", fastupdate=False),
            # The project list's order: its first page is read from the index, not sorted from every project.
            models.Index(models.F("updated_at").desc(), "code", name="project_recent_first"),
            # The portfolio counts projects by class and stage from the index alone, in its order, without hashing.
            models.Index(fields=["atmp_class", "stage"], name="project_class_stage"),
        ]

    def __str__(self):
        return f"{self.code} {self.acronym or self.title}"

    def save(self, *args, **kwargs):
        if not self.code:
            self.code = ReferenceCounter.next_code(timezone.localdate().year)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("projects:project_detail", args=[self.code])

    @property
    def is_admitted(self) -> bool:
        return self.status in ADMITTED_STATUSES

    def get_genetic_modification_display(self) -> str:
        labels = dict(GeneticModification.choices)
        return ", ".join(str(labels.get(value, value)) for value in self.genetic_modification)

    def inconsistencies(self) -> dict[str, str]:
        """The record's consistency rules: the field each broken one concerns, with its message."""
        problems = {}
        modifications = set(self.genetic_modification or ())
        if GeneticModification.NONE in modifications and len(modifications) > 1:
            problems["genetic_modification"] = _("“None” excludes every other modification; untick one of them.")
        elif self.atmp_class == AtmpClass.GTMP and modifications <= {GeneticModification.NONE}:
            problems["genetic_modification"] = _(
                "A gene therapy medicinal product (GTMP) has a genetic modification; choose its vector or modification."
            )
        if modifications & VIRAL_VECTORS and self.gmo_class == GmoClass.NONE:
            problems["gmo_class"] = _(
                "A viral vector is a genetically modified organism: choose a contained-use class of 1 or higher."
            )
        return problems

    def clean(self):
        super().clean()
        problems = self.inconsistencies()
        if problems:
            raise ValidationError(problems)
