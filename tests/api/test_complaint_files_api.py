"""Complaint evidence by API: upload checked like the form, listed in the detail, downloaded by its owners."""

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from complaints import uploads
from complaints.models import Complaint, ComplaintAttachment, ComplaintEvent

from .scenario import PNG_BYTES, build, png_file

PDF_BYTES = b"%PDF-1.7\n" + b"0" * 200


def stored_files() -> list[Path]:
    folder = Path(settings.MEDIA_ROOT) / "complaints"
    return sorted(folder.iterdir()) if folder.exists() else []


def upload(world, role, reference, files, **extra):
    return world.client(role).post(f"/api/complaints/{reference}/files/", {"files": files, **extra}, format="multipart")


def test_contact_uploads_evidence_lists_it_and_downloads_it(world):
    built = build(world)
    before = ComplaintAttachment.objects.filter(complaint=built.primary).count()
    pdf = SimpleUploadedFile("invoice.pdf", PDF_BYTES, content_type="application/pdf")

    response = upload(world, "contact_a", built.primary.reference, [png_file("router.png"), pdf])

    assert response.status_code == 201, response.content
    body = response.json()
    assert [(f["name"], f["content_type"], f["size"]) for f in body] == [
        ("router.png", "image/png", len(PNG_BYTES)),
        ("invoice.pdf", "application/pdf", len(PDF_BYTES)),
    ]
    assert ComplaintAttachment.objects.filter(complaint=built.primary).count() == before + 2
    event = ComplaintEvent.objects.filter(complaint=built.primary, kind=ComplaintEvent.Kind.FILE).get()
    assert (event.is_public, event.data) == (True, {"files": ["router.png", "invoice.pdf"]})

    detail = world.client("contact_a").get(f"/api/complaints/{built.primary.reference}/").json()
    assert [f["name"] for f in detail["files"]] == ["router.png", "invoice.pdf"]
    assert detail["files"][1]["download_url"] == body[1]["download_url"]

    download = world.client("contact_a").get(body[1]["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF_BYTES
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == 'attachment; filename="invoice.pdf"'


def test_staff_see_the_files_in_the_detail_and_download_them(world):
    built = build(world)

    detail = world.client("agent").get(f"/api/complaints/{built.complaint.reference}/").json()
    download = world.client("agent").get(detail["files"][0]["download_url"])

    assert [f["id"] for f in detail["files"]] == [built.attachment.pk]
    assert b"".join(download.streaming_content) == PNG_BYTES


def test_another_business_neither_uploads_nor_downloads(world):
    built = build(world)
    files_before = stored_files()

    upload_response = upload(world, "contact_b", built.complaint.reference, [png_file()])
    download = world.client("contact_b").get(
        f"/api/complaints/{built.complaint.reference}/files/{built.attachment.pk}/"
    )
    # The file exists, but not under another complaint's reference.
    elsewhere = world.client("contact_a").get(f"/api/complaints/{built.primary.reference}/files/{built.attachment.pk}/")

    assert (upload_response.status_code, download.status_code, elsewhere.status_code) == (404, 404, 404)
    assert stored_files() == files_before
    assert ComplaintAttachment.objects.count() == 1


def test_a_disguised_file_is_400_and_nothing_is_stored(world):
    built = build(world)
    files_before = stored_files()
    disguised = SimpleUploadedFile("photo.png", b"MZ\x90\x00" + b"\x00" * 100, content_type="image/png")

    response = upload(world, "contact_a", built.primary.reference, [png_file(), disguised])

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["details"] == {"files": ["photo.png is not a PDF, PNG or JPEG file. Only these types are accepted."]}
    assert ComplaintAttachment.objects.filter(complaint=built.primary).count() == 0
    assert stored_files() == files_before


def test_a_pdf_named_as_an_image_is_refused(world):
    built = build(world)

    response = upload(world, "contact_a", built.primary.reference, [SimpleUploadedFile("scan.png", PDF_BYTES)])

    assert response.status_code == 400
    assert ComplaintAttachment.objects.filter(complaint=built.primary).count() == 0


def test_an_oversize_file_is_413_and_never_stored(world, monkeypatch):
    built = build(world)
    monkeypatch.setattr(uploads, "MAX_FILE_BYTES", 1000)
    files_before = stored_files()
    big = SimpleUploadedFile("big.png", PNG_BYTES + b"\x00" * 2000, content_type="image/png")

    response = upload(world, "contact_a", built.primary.reference, [png_file(), big])

    assert response.status_code == 413
    error = response.json()["error"]
    assert (error["code"], error["message"]) == ("payload_too_large", "big.png is larger than 10 MB.")
    assert ComplaintAttachment.objects.filter(complaint=built.primary).count() == 0
    assert stored_files() == files_before


def test_a_body_over_the_upload_limit_is_413_before_it_is_read(world, monkeypatch):
    built = build(world)
    monkeypatch.setattr(uploads, "MAX_FILE_BYTES", 1000)
    monkeypatch.setattr(uploads, "MAX_FILES", 1)
    # One file over 1 MB + 1000 bytes: the declared length alone is refused.
    huge = SimpleUploadedFile("huge.png", PNG_BYTES + b"\x00" * (1024 * 1024 + 2000), content_type="image/png")

    response = upload(world, "contact_a", built.primary.reference, [huge])

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert ComplaintAttachment.objects.filter(complaint=built.primary).count() == 0


def test_an_evidence_upload_may_exceed_the_json_body_limit(world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    built = build(world)

    response = upload(world, "contact_a", built.primary.reference, [png_file()])

    assert response.status_code == 201


def test_at_most_twenty_files_per_complaint(world):
    built = build(world)  # built.complaint has one file already

    batches = [
        upload(world, "contact_a", built.complaint.reference, [png_file(f"{b}-{i}.png") for i in range(size)])
        for b, size in enumerate([5, 5, 5, 4])
    ]
    twenty_first = upload(world, "contact_a", built.complaint.reference, [png_file("more.png")])

    assert [batch.status_code for batch in batches] == [201, 201, 201, 201]
    assert twenty_first.status_code == 400
    assert twenty_first.json()["error"]["details"] == {
        "non_field_errors": ["A complaint has at most 20 files; this one already has 20."]
    }
    assert ComplaintAttachment.objects.filter(complaint=built.complaint).count() == 20


def test_more_than_five_files_in_one_request_is_400(world):
    built = build(world)

    response = upload(world, "contact_a", built.primary.reference, [png_file(f"{i}.png") for i in range(6)])

    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"files": ["At most 5 files can be attached."]}
    assert ComplaintAttachment.objects.filter(complaint=built.primary).count() == 0


def test_a_closed_complaint_takes_no_more_files(world):
    built = build(world)
    Complaint.objects.filter(pk=built.primary.pk).update(status="resolved")

    response = upload(world, "contact_a", built.primary.reference, [png_file()])

    assert response.status_code == 400
    assert response.json()["error"]["message"] == "This complaint is closed."
    assert ComplaintAttachment.objects.filter(complaint=built.primary).count() == 0


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b'--xyz\r\nContent-Disposition: form-data; name="files"\r\n', "multipart/form-data; boundary=xyz", 400, None),
        (b"garbage", "multipart/form-data", 400, "parse_error"),
        (b'{"files": []}', "application/json", 415, "unsupported_media_type"),
        (b"", "multipart/form-data; boundary=xyz", 400, "validation_error"),
    ],
)
def test_bad_multipart_is_a_clear_error(world, body, content_type, status, code):
    built = build(world)

    response = world.client("contact_a").generic(
        "POST", f"/api/complaints/{built.primary.reference}/files/", body, content_type=content_type
    )

    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details"}
    if code:
        assert error["code"] == code
    assert ComplaintAttachment.objects.filter(complaint=built.primary).count() == 0


def test_unknown_parts_are_refused(world):
    built = build(world)

    response = upload(world, "contact_a", built.primary.reference, [png_file()], comment="hello")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unknown_field"
    assert ComplaintAttachment.objects.filter(complaint=built.primary).count() == 0


def _filing(world, **extra):
    return {
        "subscription": str(world.subscription_a.pk),
        "category": "no_dial_tone",
        "since": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
        "description": "No tone on any line since this morning.",
        **extra,
    }


def test_filing_with_files_in_one_multipart_request(world):
    response = world.client("contact_a").post(
        "/api/complaints/", _filing(world, files=[png_file("router.png")]), format="multipart"
    )

    assert response.status_code == 201, response.content
    complaint = Complaint.objects.get(reference=response.json()["reference"])
    assert [a.original_name for a in complaint.attachments.all()] == ["router.png"]
    assert [f["name"] for f in response.json()["files"]] == ["router.png"]


def test_filing_with_a_disguised_file_files_nothing(world):
    files_before = stored_files()
    disguised = SimpleUploadedFile("photo.jpg", b"<html>" + b"x" * 100, content_type="image/jpeg")

    response = world.client("contact_a").post("/api/complaints/", _filing(world, files=[disguised]), format="multipart")

    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {"files"}
    assert Complaint.objects.count() == 0
    assert stored_files() == files_before


def test_a_session_upload_needs_the_csrf_token(world, monkeypatch, settings):
    from rest_framework.test import APIClient

    built = build(world)
    monkeypatch.setattr(uploads, "MAX_FILE_BYTES", 1000)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.contact_a.user)
    token = "k" * 32  # the cookie's secret, sent back in the header as a browser page would
    client.cookies[settings.CSRF_COOKIE_NAME] = token
    url = f"/api/complaints/{built.primary.reference}/files/"

    without = client.post(url, {"files": [png_file()]}, format="multipart")
    big = SimpleUploadedFile("big.png", PNG_BYTES + b"\x00" * 2000, content_type="image/png")
    too_big = client.post(url, {"files": [big]}, format="multipart", HTTP_X_CSRFTOKEN=token)
    with_token = client.post(url, {"files": [png_file()]}, format="multipart", HTTP_X_CSRFTOKEN=token)

    assert (without.status_code, too_big.status_code, with_token.status_code) == (403, 413, 201)
    assert ComplaintAttachment.objects.filter(complaint=built.primary).count() == 1
