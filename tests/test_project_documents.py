"""Project documents: private, served only to those who see the project, checked by content, versioned, audited."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from pghistory.models import Events

from projects import services
from projects.models import DocumentKind, ProjectDocument

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64


def office_file(part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(part, "<document/>")
    return buffer.getvalue()


def documents_url(project):
    return reverse("projects:project_documents", args=[project.code])


def upload(client, project, content=PDF, name="GMO permit.pdf", **fields):
    data = {"kind": "gmo_permit", "title": "GMO permit", "document_date": "2026-05-04",
            "file": SimpleUploadedFile(name, content), **fields}  # fmt: skip
    return client.post(documents_url(project), data)


@pytest.fixture
def project(group, make_project):
    return make_project(group, acronym="HSC-LV")


class TestUploads:
    def test_a_member_uploads_a_pdf_and_downloads_it(self, client, project, member):
        client.force_login(member)
        response = upload(client, project)
        assert response.status_code == 302
        document = ProjectDocument.objects.get()
        assert (document.kind, document.version, document.content_type) == ("gmo_permit", 1, "application/pdf")
        assert document.uploaded_by == member
        assert document.download_name == "gmo-permit.pdf"
        assert "gmo-permit.pdf" in client.get(documents_url(project)).text
        download = client.get(document.get_absolute_url())
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == PDF
        assert download["Content-Type"] == "application/pdf"
        assert download["Content-Disposition"].startswith("attachment")

    @pytest.mark.parametrize(
        ("content", "name", "content_type"),
        [
            (PNG, "scan.png", "image/png"),
            (b"\xff\xd8\xff\xe0" + b"\x00" * 16, "photo.jpeg", "image/jpeg"),
            (office_file("word/document.xml"), "IMPD.docx", "application/vnd.openxmlformats-officedocument"
             ".wordprocessingml.document"),
            (office_file("xl/workbook.xml"), "EM trend.xlsx", "application/vnd.openxmlformats-officedocument"
             ".spreadsheetml.sheet"),
            (PDF, "permit.txt", "application/pdf"),  # the content decides, not the extension
        ],
    )  # fmt: skip
    def test_the_type_is_known_by_the_content(self, client, project, member, content, name, content_type):
        client.force_login(member)
        assert upload(client, project, content, name).status_code == 302
        assert ProjectDocument.objects.get().content_type == content_type

    @pytest.mark.parametrize(
        ("content", "name"),
        [
            (EXECUTABLE, "permit.pdf"),  # a renamed executable
            (office_file("payload.bin"), "permit.docx"),  # a ZIP that is no Office document
            (b"PK\x03\x04 not a zip at all", "permit.xlsx"),
            (b"#!/bin/sh\nrm -rf /\n", "permit.png"),
        ],
    )
    def test_other_content_is_refused_with_a_message(self, client, project, member, content, name):
        client.force_login(member)
        response = upload(client, project, content, name)
        assert response.status_code == 400
        assert "Upload a PDF, Word (DOCX), Excel (XLSX), PNG or JPEG file; this file is none of them." in response.text
        assert not ProjectDocument.objects.exists()

    def test_a_file_over_the_size_limit_is_refused_with_a_message(self, client, project, member, settings):
        settings.DOCUMENTS_MAX_BYTES = 1024
        client.force_login(member)
        response = upload(client, project, PDF + b"0" * 2000)
        assert response.status_code == 400
        assert "documents may be at most 1.0\xa0KB" in response.text
        assert not ProjectDocument.objects.exists()

    def test_file_names_are_sanitised(self, client, project, member):
        client.force_login(member)
        upload(client, project, name="../../etc/<script>alert(1)</script> permit.exe.pdf")
        document = ProjectDocument.objects.get()
        assert document.download_name == "script-permitexe.pdf"
        assert document.file.name.startswith(f"projects/{project.code}/")
        assert ".." not in document.file.name

    def test_a_new_upload_is_a_new_version_never_an_overwrite_and_is_audited(self, client, project, member):
        client.force_login(member)
        upload(client, project)
        upload(client, project, PDF + b"% amended\n", document_date="2026-09-01")
        first, second = ProjectDocument.objects.order_by("version")
        assert (first.version, second.version) == (1, 2)
        assert first.file.name != second.file.name
        assert first.file.read() == PDF
        events = Events.objects.tracks(second)
        assert [event.pgh_label for event in events] == ["insert"]
        assert events.get().pgh_context["user"] == member.pk
        page = client.get(documents_url(project)).text
        assert page.count("GMO permit") >= 2

    def test_another_title_starts_at_version_1(self, project, member):
        for title in ("Ethics approval", "Ethics approval amendment"):
            document = services.upload_document(
                project,
                actor=member,
                kind=DocumentKind.ETHICS_APPROVAL,
                title=title,
                document_date="2026-01-01",
                file=SimpleUploadedFile("approval.pdf", PDF),
            )
            assert document.version == 1


@pytest.fixture
def document(project, member):
    return services.upload_document(
        project,
        actor=member,
        kind=DocumentKind.GMO_PERMIT,
        title="GMO permit",
        document_date="2026-05-04",
        file=SimpleUploadedFile("permit.pdf", PDF),
    )


# Not even the owner role changes a stored version (the runtime role may only add: tests/test_database_roles.py).
@pytest.mark.database_owner
@pytest.mark.parametrize("statement", ["UPDATE {table} SET title = 'forged'", "DELETE FROM {table}"])
def test_the_database_refuses_to_overwrite_or_delete_a_document(document, statement):
    table = ProjectDocument._meta.db_table
    with pytest.raises(DatabaseError, match="Cannot"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement.format(table=table))
    assert ProjectDocument.objects.get().title == "GMO permit"


class TestWhoSeesWhat:
    def test_an_outsider_gets_404_on_the_document_and_the_list(self, client, document, outsider):
        client.force_login(outsider)
        assert client.get(document.get_absolute_url()).status_code == 404
        assert client.get(documents_url(document.project)).status_code == 404
        assert upload(client, document.project).status_code == 404
        assert ProjectDocument.objects.count() == 1

    def test_a_document_of_another_project_is_404(self, client, document, member, group, make_project):
        other = make_project(group, acronym="OTHER")
        client.force_login(member)
        url = reverse("projects:document_download", args=[other.code, document.pk])
        assert client.get(url).status_code == 404

    def test_reviewers_read_but_do_not_upload(self, client, document, reviewer):
        client.force_login(reviewer)
        assert client.get(document.get_absolute_url()).status_code == 200
        page = client.get(documents_url(document.project)).text
        assert "Upload a document" not in page
        assert upload(client, document.project).status_code == 403

    def test_anonymous_visitors_are_sent_to_log_in(self, client, document):
        response = client.get(document.get_absolute_url())
        assert response.status_code == 302
        assert "/login/" in response.url

    def test_no_document_lies_under_a_public_url(self, document, settings):
        assert not document.file.name.startswith(str(settings.STATIC_ROOT))
        assert settings.STORAGES["documents"]["BACKEND"].endswith("FileSystemStorage")
        assert "documents" in settings.STORAGES["documents"]["OPTIONS"]["location"]
