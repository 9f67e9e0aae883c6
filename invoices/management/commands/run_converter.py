"""`python manage.py run_converter`: keep LibreOffice's Word to PDF converter running.

`make run` starts it beside web and the worker; in production it is a supervised process of its
own (README). It starts the converter (invoices.word.converter), checks every few seconds that it
is still there, and starts it again when it died or a print killed it after a hung conversion.
Where LibreOffice is not installed it says so once and waits, so `make run` keeps running.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand

from invoices.word.converter import (
    ConversionFailed,
    converter_ensure,
    converter_listening,
    converter_pid,
    converter_stop,
    libreoffice_missing,
)


class Command(BaseCommand):
    help = "Keep LibreOffice's Word to PDF converter (unoserver) running; stopped with it."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--check-every", type=float, default=2.0, help="Seconds between checks (default 2).")

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        if reason := libreoffice_missing():
            self.stdout.write(f"Word to PDF is off: {reason}", self.style.WARNING)
            stop.wait()
            return
        running: int | None = None
        try:
            while not stop.is_set():
                if converter_pid() is None and not converter_listening():
                    if running is not None:
                        self.stdout.write(f"The converter (pid {running}) stopped: starting it again.")
                    try:
                        running = converter_ensure()
                    except ConversionFailed as e:
                        self.stderr.write(f"{e} Trying again in 10 s.")
                        stop.wait(10)
                        continue
                    self.stdout.write(f"LibreOffice converter ready (pid {running}), reused by every print.")
                stop.wait(options["check_every"])
        finally:
            converter_stop()
            self.stdout.write("LibreOffice converter stopped.")
