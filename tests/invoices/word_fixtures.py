"""The LibreOffice converter the Word to PDF tests print with: a real one (unoserver and
soffice), on ports and a state directory of the tests' own, started once by the first print and
stopped at the end of the session. Where LibreOffice is missing these tests are skipped with the
reason, except in CI (.ci/run sets SELLERCLOUD_REQUIRE_LIBREOFFICE), where that is a failure."""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from invoices.word import converter
from invoices.word.sample import SAMPLE_TEMPLATE

PORT_SETTINGS = ("WORD_CONVERTER_PORT", "WORD_CONVERTER_UNO_PORT")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def word_converter(tmp_path_factory) -> Iterator[None]:
    """Ports free now, not fixed ones: a converter left by a run that was killed (its teardown
    never ran) must not answer this session's prints."""
    before = {name: getattr(settings, name) for name in [*PORT_SETTINGS, "WORD_CONVERTER_STATE_DIR"]}
    for name in PORT_SETTINGS:
        setattr(settings, name, _free_port())
    settings.WORD_CONVERTER_STATE_DIR = tmp_path_factory.mktemp("word-converter")
    converter.libreoffice_missing.cache_clear()
    if reason := converter.libreoffice_missing():
        if os.environ.get("SELLERCLOUD_REQUIRE_LIBREOFFICE"):
            pytest.fail(f"LibreOffice is required here: {reason}")
        pytest.skip(f"Word to PDF needs LibreOffice: {reason}")
    yield
    converter.converter_stop()
    for name, value in before.items():
        setattr(settings, name, value)


def sample_upload(name: str = "facture-exemple.docx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, SAMPLE_TEMPLATE.read_bytes(), content_type="application/octet-stream")


def pdf_to_text(pdf: bytes, tmp_path) -> str:
    """The PDF's text as pdftotext (poppler) reads it, spaces squeezed."""
    path = tmp_path / "read.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, timeout=60).stdout.decode()
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())
