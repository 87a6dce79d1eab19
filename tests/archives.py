"""Zip archives built in memory, for the tests that feed the app hostile or hand-made uploads."""

from __future__ import annotations

import io
import zipfile


def zipped(files: dict[str, bytes]) -> bytes:
    """A deflated zip holding `files` (name → content)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()
