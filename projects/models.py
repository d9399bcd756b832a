from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OrganisationUnit(models.TextChoices):
    MEDICINE = "medicine", _("Faculty of Medicine")
    LTH = "lth", _("Faculty of Engineering (LTH)")
    SCIENCE = "science", _("Faculty of Science")
    REGION_SKANE = "region_skane", _("Region Skåne")
    COMPANY = "company", _("Company")
    OTHER = "other", _("Other")


class ResearchGroupQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)

    def with_member(self, user):
        return self.filter(memberships__user=user)


class ResearchGroup(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    pi = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="led_groups",
        verbose_name=_("principal investigator (PI)"),
    )
    organisation_unit = models.CharField(_("organisation unit"), max_length=20, choices=OrganisationUnit.choices)
    department = models.CharField(
        _("department"), max_length=200, blank=True, help_text=_("E.g. the department or company division.")
    )
    description = models.TextField(_("description"), blank=True)
    cost_centre = models.CharField(
        _("cost centre"), max_length=40, blank=True, help_text=_("Where facility use is billed.")
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ResearchGroupQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("research group")
        verbose_name_plural = _("research groups")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("projects:group_detail", args=[self.slug])


class MembershipRole(models.TextChoices):
    PI = "pi", _("Principal investigator (PI)")
    MANAGER = "manager", _("Manager")
    MEMBER = "member", _("Member")


class Membership(models.Model):
    group = models.ForeignKey(
        ResearchGroup, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("research group")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=10, choices=MembershipRole.choices, default=MembershipRole.MEMBER)
    joined_at = models.DateTimeField(_("joined"), default=timezone.now)

    class Meta:
        ordering = ["group", "user__last_name", "user__first_name", "user__username"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["group", "user"], name="membership_unique_group_user"),
        ]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()}), {self.group}"

    @property
    def can_manage_group(self) -> bool:
        return self.role in (MembershipRole.PI, MembershipRole.MANAGER)


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
    NONE = "none", _("None")
    LENTIVIRAL = "lentiviral", _("Lentiviral vector")
    GAMMA_RETROVIRAL = "gamma_retroviral", _("Gamma-retroviral vector")
    AAV = "aav", _("Adeno-associated viral vector (AAV)")
    ADENOVIRAL = "adenoviral", _("Adenoviral vector")
    MRNA = "mrna", _("mRNA")
    GENE_EDITING = "gene_editing", _("Gene editing (e.g. CRISPR/Cas9)")
    PLASMID = "plasmid", _("Plasmid")
    OTHER = "other", _("Other")


class DevelopmentStage(models.TextChoices):
    DISCOVERY = "discovery", _("Discovery")
    PRECLINICAL = "preclinical", _("Preclinical")
    PROCESS_DEVELOPMENT = "process_development", _("Process development / pre-GMP")
    GMP_MANUFACTURING = "gmp_manufacturing", _("GMP manufacturing")
    PHASE_I = "phase_1", _("Clinical phase I")
    PHASE_I_II = "phase_1_2", _("Clinical phase I/II")
    PHASE_II = "phase_2", _("Clinical phase II")
    PHASE_III = "phase_3", _("Clinical phase III")
    AUTHORISED = "authorised", _("Authorised")


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
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# Projects in these states are admitted to the facility and may book it.
ADMITTED_STATUSES = (ProjectStatus.ACCEPTED, ProjectStatus.ACTIVE)


class ReferenceCounter(models.Model):
    """The last reference number given per year; numbers are never reused."""

    year = models.PositiveIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("reference counter")
        verbose_name_plural = _("reference counters")

    def __str__(self):
        return f"{self.year}: {self.last_number}"

    @classmethod
    def next_code(cls, year: int) -> str:
        """Take the next ``ATMP-YYYY-NNNN`` code; one atomic statement, safe under concurrency."""
        table = connection.ops.quote_name(cls._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (year, last_number) VALUES (%s, 1) "
                f"ON CONFLICT (year) DO UPDATE SET last_number = {table}.last_number + 1 "
                "RETURNING last_number",
                [year],
            )
            (number,) = cursor.fetchone()
        return f"ATMP-{year}-{number:04d}"


class AtmpProjectQuerySet(models.QuerySet):
    def admitted(self):
        """Projects admitted to the facility: they may book it."""
        return self.filter(status__in=ADMITTED_STATUSES)

    def of_member(self, user):
        return self.filter(group__memberships__user=user)

    def visible_to(self, user):
        """Projects hold unpublished science: members of the group, reviewers, facility staff and admins see them."""
        from atmp_portal import roles

        if roles.is_centre_reviewer(user) or roles.is_facility_staff(user):
            return self
        if not user.is_authenticated:
            return self.none()
        return self.filter(group__in=ResearchGroup.objects.with_member(user))


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
    lay_summary = models.TextField(_("lay summary"), blank=True)
    description = models.TextField(_("description"), blank=True)
    atmp_class = models.CharField(
        _("ATMP class"), max_length=20, choices=AtmpClass.choices, default=AtmpClass.UNCLASSIFIED
    )
    cell_origin = models.CharField(
        _("cell origin"), max_length=20, choices=CellOrigin.choices, default=CellOrigin.NOT_APPLICABLE
    )
    starting_material = models.CharField(_("starting material"), max_length=300, blank=True)
    genetic_modification = models.CharField(
        _("genetic modification / vector"),
        max_length=20,
        choices=GeneticModification.choices,
        default=GeneticModification.NONE,
    )
    indication = models.CharField(_("indication"), max_length=300, blank=True)
    therapeutic_area = models.CharField(_("therapeutic area"), max_length=100, blank=True)
    stage = models.CharField(
        _("development stage"), max_length=30, choices=DevelopmentStage.choices, default=DevelopmentStage.DISCOVERY
    )
    trl = models.PositiveSmallIntegerField(
        _("technology readiness level (TRL)"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(9)],
    )
    gmo_class = models.PositiveSmallIntegerField(
        _("GMO contained-use class"), choices=GmoClass.choices, default=GmoClass.NONE
    )
    gmo_reference = models.CharField(_("GMO notification or permit reference"), max_length=100, blank=True)
    ethics_reference = models.CharField(_("ethics approval reference"), max_length=100, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ProjectStatus.choices, default=ProjectStatus.DRAFT, editable=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = AtmpProjectQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("ATMP project")
        verbose_name_plural = _("ATMP projects")
        constraints = [
            models.CheckConstraint(condition=models.Q(trl__gte=1, trl__lte=9), name="project_trl_1_to_9"),
        ]

    def __str__(self):
        return f"{self.code} {self.acronym or self.title}"

    def save(self, *args, **kwargs):
        if not self.code:
            self.code = ReferenceCounter.next_code(timezone.localdate().year)
        super().save(*args, **kwargs)

    @property
    def is_admitted(self) -> bool:
        return self.status in ADMITTED_STATUSES
