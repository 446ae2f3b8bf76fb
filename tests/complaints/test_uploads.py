import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from complaints.uploads import MAX_FILE_BYTES, validate_evidence, validate_evidence_list

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
PDF = b"%PDF-1.7\n" + b"\x00" * 32


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("a.pdf", PDF, "application/pdf"),
        ("a.PNG", PNG, "image/png"),
        ("a.jpg", JPEG, "image/jpeg"),
        ("b.jpeg", JPEG, "image/jpeg"),
    ],
)
def test_accepted_types_are_recognised_by_content(name, content, expected):
    assert validate_evidence(SimpleUploadedFile(name, content, content_type="application/octet-stream")) == expected


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("invoice.pdf", b"MZ\x90\x00 an executable"),  # disguised executable
        ("photo.png", JPEG),  # content and extension disagree
        ("page.html", b"<html><script>alert(1)</script>"),
        ("noextension", PDF),
    ],
)
def test_disguised_files_are_rejected(name, content):
    with pytest.raises(ValidationError) as exc:
        validate_evidence(SimpleUploadedFile(name, content, content_type="application/pdf"))
    assert exc.value.code == "bad_type"


def test_oversize_file_is_rejected_before_reading():
    big = SimpleUploadedFile("big.pdf", PDF, content_type="application/pdf")
    big.size = MAX_FILE_BYTES + 1
    with pytest.raises(ValidationError) as exc:
        validate_evidence(big)
    assert exc.value.code == "too_big"


def test_at_most_five_files():
    files = [SimpleUploadedFile(f"{i}.pdf", PDF) for i in range(6)]
    with pytest.raises(ValidationError) as exc:
        validate_evidence_list(files)
    assert exc.value.code == "too_many"
    assert len(validate_evidence_list(files[:5])) == 5
