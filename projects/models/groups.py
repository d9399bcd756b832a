"""Research groups and their members."""

import pghistory
from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from atmp_portal.people import full_name
from facilities.usage_totals import forgetting_all


class OrganisationUnit(models.TextChoices):
    MEDICINE = "medicine", _("Faculty of Medicine")
    LTH = "lth", _("Faculty of Engineering (LTH)")
    SCIENCE = "science", _("Faculty of Science")
    REGION_SKANE = "region_skane", _("Region Skåne")
    COMPANY = "company", _("Company")
    OTHER = "other", _("Other")


class BillingCategory(models.TextChoices):
    INTERNAL = "internal", _("Internal rate")
    EXTERNAL = "external", _("External rate")


class ResearchGroupQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)

    def with_member(self, user):
        return self.filter(memberships__user=user)


def billed_externally(prefix: str = "") -> models.Q:
    """``ResearchGroup.billed_as`` is external, in SQL, of the group reached by ``prefix`` (e.g. "project__group__")."""
    return models.Q(**{f"{prefix}billing_category": BillingCategory.EXTERNAL}) | models.Q(
        **{f"{prefix}billing_category": "", f"{prefix}organisation_unit": OrganisationUnit.COMPANY}
    )


@pghistory.track()
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
    description = models.TextField(_("description"), max_length=5000, blank=True)
    cost_centre = models.CharField(
        _("cost centre"), max_length=40, blank=True, help_text=_("Where facility use is billed.")
    )
    billing_category = models.CharField(
        _("billing category"),
        max_length=10,
        choices=BillingCategory.choices,
        blank=True,
        help_text=_("Which hourly rates the facility bills. Empty: external for companies, internal otherwise."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ResearchGroupQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("research group")
        verbose_name_plural = _("research groups")
        triggers = [forgetting_all("usage_totals_billing", "name", "billing_category", "organisation_unit")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("projects:group_detail", args=[self.slug])

    @property
    def billed_as(self) -> str:
        """The billing category in force: the one chosen, else external for companies and internal otherwise.

        ``billed_externally`` asks the same in SQL."""
        if self.billing_category:
            return self.billing_category
        if self.organisation_unit == OrganisationUnit.COMPANY:
            return BillingCategory.EXTERNAL
        return BillingCategory.INTERNAL


class MembershipRole(models.TextChoices):
    PI = "pi", _("Principal investigator (PI)")
    MANAGER = "manager", _("Manager")
    MEMBER = "member", _("Member")


@pghistory.track()
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
        return f"{full_name(self.user)} ({self.get_role_display()}), {self.group}"

    @property
    def can_manage_group(self) -> bool:
        return self.role in (MembershipRole.PI, MembershipRole.MANAGER)
