"""A project's documents: permits, approvals, letters and dossier sections, in private storage, never overwritten."""

import uuid

import pghistory
import pgtrigger
from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .projects import AtmpProject


class DocumentKind(models.TextChoices):
    GMO_PERMIT = "gmo_permit", _("GMO notification or permit")
    ETHICS_APPROVAL = "ethics_approval", _("Ethics approval")
    CAT_LETTER = "cat_letter", _("CAT classification letter")
    SCIENTIFIC_ADVICE = "scientific_advice", _("Scientific advice")
    IMPD = "impd", _("IMPD section")
    SOP = "sop", _("Standard operating procedure (SOP)")
    OTHER = "other", _("Other")


def documents_storage():
    """The private storage of ``STORAGES["documents"]``: a folder under .data/, or S3 where configured."""
    return storages["documents"]


def document_path(document: "ProjectDocument", filename: str) -> str:
    # A folder of its own per upload: a file is never overwritten, whatever its name.
    return f"projects/{document.project.code}/{uuid.uuid4().hex}/{filename}"


@pghistory.track()
class ProjectDocument(models.Model):
    """One version of a project document; a new upload of the same kind and title is the next version."""

    project = models.ForeignKey(
        AtmpProject, on_delete=models.PROTECT, related_name="documents", verbose_name=_("ATMP project")
    )
    kind = models.CharField(_("type"), max_length=20, choices=DocumentKind.choices)
    title = models.CharField(_("title"), max_length=200)
    version = models.PositiveIntegerField(_("version"), editable=False)
    document_date = models.DateField(_("date of the document"))
    file = models.FileField(_("file"), storage=documents_storage, upload_to=document_path, max_length=300)
    original_name = models.CharField(_("file name as uploaded"), max_length=255, editable=False)
    content_type = models.CharField(_("content type"), max_length=100, editable=False)
    size = models.PositiveBigIntegerField(_("size (bytes)"), editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="uploaded_documents",
        verbose_name=_("uploaded by"),
        editable=False,
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        ordering = ["kind", "title", "-version"]
        verbose_name = _("project document")
        verbose_name_plural = _("project documents")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "kind", "title", "version"], name="project_document_unique_version"
            ),
        ]
        # Never overwritten, not even by the owner role: a correction is the next version.
        triggers = [pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self):
        return _("%(title)s, version %(version)s") % {"title": self.title, "version": self.version}

    def get_absolute_url(self):
        return reverse("projects:document_download", args=[self.project.code, self.pk])

    @property
    def download_name(self) -> str:
        """The stored, sanitised file name without its folder."""
        return self.file.name.rsplit("/", 1)[-1]
