"""Evidence files: type checked by content (magic bytes), bounded in size and number."""

from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.utils.translation import gettext_lazy as _

MAX_FILES = 5  # per filing, reply or upload
MAX_FILES_PER_COMPLAINT = 20  # over the whole conversation
MAX_FILE_BYTES = 10 * 1024 * 1024

# content type -> (signature check, allowed extensions)
SIGNATURES = {
    "application/pdf": (lambda head: head.startswith(b"%PDF-"), {"pdf"}),
    "image/png": (lambda head: head.startswith(b"\x89PNG\r\n\x1a\n"), {"png"}),
    "image/jpeg": (lambda head: head.startswith(b"\xff\xd8\xff"), {"jpg", "jpeg"}),
}


def sniff(uploaded) -> str | None:
    """The content type the bytes say, or None."""
    uploaded.seek(0)
    head = uploaded.read(16)
    uploaded.seek(0)
    for content_type, (check, _extensions) in SIGNATURES.items():
        if check(head):
            return content_type
    return None


def validate_evidence(uploaded) -> str:
    """Return the checked content type or raise a clear, translated error. Nothing is stored here."""
    name = (uploaded.name or "")[:200]
    if uploaded.size is None or uploaded.size > MAX_FILE_BYTES:
        raise ValidationError(
            _("%(name)s is larger than %(max)s MB."), code="too_big", params={"name": name, "max": 10}
        )
    if uploaded.size == 0:
        raise ValidationError(_("%(name)s is empty."), code="empty", params={"name": name})
    content_type = sniff(uploaded)
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if content_type is None or extension not in SIGNATURES[content_type][1]:
        raise ValidationError(
            _("%(name)s is not a PDF, PNG or JPEG file. Only these types are accepted."),
            code="bad_type",
            params={"name": name},
        )
    return content_type


def validate_evidence_list(files) -> list[tuple[object, str]]:
    if len(files) > MAX_FILES:
        raise ValidationError(_("At most %(max)s files can be attached."), code="too_many", params={"max": MAX_FILES})
    checked, errors = [], []
    for uploaded in files:
        try:
            checked.append((uploaded, validate_evidence(uploaded)))
        except ValidationError as exc:
            errors.append(exc)
    if errors:
        raise ValidationError(errors)
    return checked


class EvidenceLimitHandler(FileUploadHandler):
    """Stops reading a file as soon as it passes MAX_FILE_BYTES: its bytes are never kept.

    Installed first in the view (before the body is parsed). The names of files cut short are listed
    on request.evidence_rejected so that the form can say why.
    """

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self._received = 0

    def receive_data_chunk(self, raw_data, start):
        self._received += len(raw_data)
        if self._received > MAX_FILE_BYTES:
            self.request.evidence_rejected.append(self.file_name or "")
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None


def limit_evidence_uploads(request) -> None:
    request.evidence_rejected = []
    request.upload_handlers.insert(0, EvidenceLimitHandler(request))


def too_big_error(names) -> ValidationError:
    return ValidationError(
        [
            ValidationError(
                _("%(name)s is larger than %(max)s MB."), code="too_big", params={"name": n[:200], "max": 10}
            )
            for n in names
        ]
    )
