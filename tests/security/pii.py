"""Search the whole database and MEDIA_ROOT for a piece of personal data (erasure tests of every app use it)."""

import io
import zipfile
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import models
from django.db.models.functions import Cast

TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)


def find_in_database(needle: str) -> list[str]:
    """`app_label.Model.field #pk` for every text or JSON column holding `needle` (case-insensitive)."""
    hits = []
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        for field in meta.concrete_fields:
            if not isinstance(field, TEXT_FIELDS):
                continue
            rows = (
                model._base_manager.annotate(_text=Cast(field.attname, models.TextField()))
                .filter(_text__icontains=needle)
                .values_list("pk", flat=True)
            )
            hits.extend(f"{meta.label}.{field.name} #{pk}" for pk in rows)
    return hits


def _readable_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    if data.startswith(b"PK\x03\x04"):
        # XLSX (and any zip): the text sits in compressed members, invisible to a plain byte search.
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            data += b"".join(archive.read(name) for name in archive.namelist())
    return data.lower()


def find_in_files(needle: str, root: Path | None = None) -> list[str]:
    root = Path(root or settings.MEDIA_ROOT)
    if not root.exists():
        return []
    wanted = needle.lower().encode()
    return [str(path) for path in root.rglob("*") if path.is_file() and wanted in _readable_bytes(path)]


def find_everywhere(*needles: str) -> list[str]:
    return [hit for needle in needles for hit in find_in_database(needle) + find_in_files(needle)]
