"""`manage.py run_converter` (what `make run` starts; a supervised process in production): it
starts LibreOffice's converter, starts it again when it dies, and stops it when stopped."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from invoices.word import converter

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("word_converter")]


def _read_line_with(proc: subprocess.Popen, text: str, timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if text in line:
            return line
        if not line and proc.poll() is not None:
            break
    raise AssertionError(f"run_converter never said {text!r}")


def test_run_converter_keeps_the_converter_running_and_stops_it(tmp_path):
    state = tmp_path / "state"
    env = {
        **os.environ,
        "WORD_CONVERTER_PORT": "2943",
        "WORD_CONVERTER_UNO_PORT": "2942",
        "WORD_CONVERTER_STATE_DIR": str(state),
        "PYTHONUNBUFFERED": "1",
    }
    manage = Path(settings.BASE_DIR) / "manage.py"
    proc = subprocess.Popen(
        [sys.executable, str(manage), "run_converter", "--check-every", "0.5"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        _read_line_with(proc, "LibreOffice converter ready")
        first = json.loads((state / "word-converter-2943.json").read_text())["pid"]

        os.killpg(first, signal.SIGKILL)  # LibreOffice dies
        _read_line_with(proc, f"The converter (pid {first}) stopped: starting it again.")
        _read_line_with(proc, "LibreOffice converter ready")
        second = json.loads((state / "word-converter-2943.json").read_text())["pid"]
        assert second != first and converter._alive(second)

        proc.send_signal(signal.SIGTERM)
        _read_line_with(proc, "LibreOffice converter stopped.")
        assert proc.wait(timeout=30) == 0
        deadline = time.monotonic() + 10
        while converter._alive(second) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not converter._alive(second)
    finally:
        if proc.poll() is None:
            proc.kill()
        if (state / "word-converter-2943.json").exists():
            pid = json.loads((state / "word-converter-2943.json").read_text())["pid"]
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
