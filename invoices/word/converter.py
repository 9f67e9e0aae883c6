"""LibreOffice kept running: one unoserver per machine, reused by every print (SPEC S9, S11).

unoserver's server runs under the system Python that has LibreOffice's `uno` and starts one
headless soffice; our processes send it .docx bytes over XML-RPC on loopback and get PDF bytes
back (about 0.1 s, where a cold soffice takes about 1.4 s). Whoever finds it not running starts
it: `manage.py run_converter` (make run, a supervised process in production) checks every few
seconds, and a print that finds nothing listening starts it too. A file lock makes that one
start however many processes find it down at once; the state file holds the process group to
kill. A conversion that takes longer than WORD_CONVERSION_TIMEOUT is taken for hung: the whole
group is killed, the print reports it, and the next print starts a fresh one.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import http.client
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import xmlrpc.client
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.core.signals import setting_changed

logger = logging.getLogger(__name__)

INSTALL_HINT = "apt-get install -y --no-install-recommends libreoffice-writer-nogui python3-uno"
START_SECONDS = 90  # unoserver waits about 7 s before it listens; a cold LibreOffice on a busy CI more


class ConverterUnavailable(Exception):
    """LibreOffice (or the Python it needs) is not installed here."""


class ConversionFailed(Exception):
    """The converter did not convert this document (hung, died or refused it); the message says what happened."""


@functools.cache
def libreoffice_missing() -> str | None:
    """Why Word to PDF cannot work on this server (None when it can). Checked once per process."""
    if shutil.which("soffice") is None:
        return f"LibreOffice is not installed on this server ({INSTALL_HINT})."
    python = settings.WORD_CONVERTER_PYTHON
    try:
        found = subprocess.run(  # noqa: S603 (a configured interpreter, fixed arguments)
            [python, "-c", "import uno"], capture_output=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return f"LibreOffice's Python ({python}) is missing ({INSTALL_HINT})."
    if found.returncode != 0:
        return f"LibreOffice's Python bridge is not installed for {python} ({INSTALL_HINT})."
    return None


def _state_dir() -> Path:
    path = Path(settings.WORD_CONVERTER_STATE_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _state_file() -> Path:
    return _state_dir() / f"word-converter-{settings.WORD_CONVERTER_PORT}.json"


@contextlib.contextmanager
def _start_lock() -> Iterator[None]:
    with open(_state_dir() / f"word-converter-{settings.WORD_CONVERTER_PORT}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _read_state() -> dict | None:
    try:
        return json.loads(_state_file().read_text())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    """The process exists and is not a zombie waiting for its parent to reap it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def converter_listening(timeout: float = 1.0) -> bool:
    """Something accepts connections on the converter's port."""
    try:
        with socket.create_connection(("127.0.0.1", settings.WORD_CONVERTER_PORT), timeout=timeout):
            return True
    except OSError:
        return False


def converter_pid() -> int | None:
    """The converter's process (group) id when it is running, else None."""
    state = _read_state()
    return state["pid"] if state and _alive(state["pid"]) else None


def _unoserver_path() -> Path:
    """A directory holding only the unoserver package (and its metadata) of our environment, for
    the system Python's path: nothing else of ours shadows its modules."""
    import unoserver

    package = Path(unoserver.__file__).parent
    shim = _state_dir() / "unoserver-path"
    shim.mkdir(exist_ok=True)
    for source in [package, *package.parent.glob("unoserver-*.dist-info")]:
        link = shim / source.name
        if not link.exists():
            with contextlib.suppress(FileExistsError):
                link.symlink_to(source)
    return shim


def _start() -> int:
    """Start a converter in a process group (and profile) of its own; returns its pid."""
    profile = tempfile.mkdtemp(prefix="sellercloud-libreoffice-")
    argv = [settings.WORD_CONVERTER_PYTHON, "-m", "unoserver.server", "--interface", "127.0.0.1"]
    argv += ["--port", str(settings.WORD_CONVERTER_PORT), "--uno-port", str(settings.WORD_CONVERTER_UNO_PORT)]
    argv += ["--user-installation", profile, "--conversion-timeout", str(settings.WORD_CONVERSION_TIMEOUT)]
    env = {**os.environ, "PYTHONPATH": str(_unoserver_path())}
    log = open(_state_dir() / f"word-converter-{settings.WORD_CONVERTER_PORT}.log", "ab")  # noqa: SIM115
    with log:
        proc = subprocess.Popen(  # noqa: S603 (a configured interpreter, fixed arguments)
            argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, start_new_session=True
        )
    _state_file().write_text(json.dumps({"pid": proc.pid, "profile": profile}))
    logger.info("event=word_converter_started pid=%s port=%s", proc.pid, settings.WORD_CONVERTER_PORT)
    return proc.pid


def converter_ensure(*, wait: bool = True) -> int:
    """Make sure a converter runs (starting one when none does); with `wait`, until it answers.
    Returns its pid. Raises ConverterUnavailable where LibreOffice is not installed."""
    if reason := libreoffice_missing():
        raise ConverterUnavailable(reason)
    with _start_lock():
        pid = converter_pid()
        if pid is None:
            if converter_listening():
                # Someone else's converter on our port (started by hand): use it, we cannot kill it.
                return 0
            converter_stop()  # the dead one's state and profile
            pid = _start()
    if wait:
        deadline = time.monotonic() + START_SECONDS
        while not _answers():
            if not _alive(pid):
                raise ConversionFailed("LibreOffice's converter stopped while starting: see var/word-converter-*.log.")
            if time.monotonic() > deadline:
                converter_stop()
                raise ConversionFailed(f"LibreOffice's converter did not start within {START_SECONDS} s.")
            time.sleep(0.25)
    return pid


def _answers() -> bool:
    if not converter_listening():
        return False
    try:
        _proxy(timeout=5).info()
    except (OSError, xmlrpc.client.Error, http.client.HTTPException):
        return False
    return True


def converter_stop() -> None:
    """Kill the converter's whole process group (unoserver and its soffice) and forget it."""
    state = _read_state()
    if not state:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(state["pid"], signal.SIGKILL)
    shutil.rmtree(state.get("profile", ""), ignore_errors=True)
    with contextlib.suppress(FileNotFoundError):
        _state_file().unlink()
    logger.info("event=word_converter_stopped pid=%s", state["pid"])


class _TimeoutTransport(xmlrpc.client.Transport):
    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def make_connection(self, host: str | tuple[str, dict[str, str]]) -> http.client.HTTPConnection:
        connection = super().make_connection(host)
        connection.timeout = self.timeout
        return connection


def _proxy(*, timeout: float) -> xmlrpc.client.ServerProxy:
    url = f"http://127.0.0.1:{settings.WORD_CONVERTER_PORT}"
    return xmlrpc.client.ServerProxy(url, allow_none=True, transport=_TimeoutTransport(timeout))


def docx_to_pdf(docx: bytes) -> bytes:
    """Convert a .docx to PDF on the running converter, starting it first when it is down."""
    timeout = settings.WORD_CONVERSION_TIMEOUT
    for attempt in (1, 2):
        if not converter_listening():
            converter_ensure()
        try:
            result = _proxy(timeout=timeout).convert(None, xmlrpc.client.Binary(docx), None, "pdf")
        except TimeoutError:
            converter_stop()
            logger.error("event=word_conversion_hung timeout=%s", timeout)
            raise ConversionFailed(
                f"LibreOffice did not convert the document within {timeout} s: the converter was stopped "
                "and starts again on the next print."
            ) from None
        except (ConnectionError, http.client.HTTPException) as e:
            # It died between our check and the call (or mid-conversion): start it again, once.
            logger.warning("event=word_converter_gone attempt=%s error=%s", attempt, e)
            if attempt == 2:
                raise ConversionFailed(f"LibreOffice's converter stopped during the conversion ({e}).") from e
            if converter_pid() is not None and not _answers():
                converter_stop()
            continue
        except xmlrpc.client.Fault as e:
            if not _answers():  # LibreOffice died under it: the next print starts a fresh one
                converter_stop()
            raise ConversionFailed(f"LibreOffice could not convert the document: {e.faultString[-300:]}") from e
        assert isinstance(result, xmlrpc.client.Binary), type(result)
        return bytes(result.data)
    raise AssertionError("unreachable")


def _forget(*, setting: str, **kwargs: object) -> None:
    if setting.startswith("WORD_CONVERTER"):
        libreoffice_missing.cache_clear()


setting_changed.connect(_forget)
