"""`python manage.py run_all` (what `make run` calls): the whole product in the foreground.

Starts Redis once (the embedded one unless REDIS_URL is set), migrates, collects static files,
seeds the demo, then runs web (gunicorn), the Celery worker, Celery beat, LibreOffice's Word to
PDF converter and the Cdiscount sandbox side by side, every line prefixed with the name of the
process that wrote it. Ctrl-C (or SIGTERM) stops them all; if one of them dies, the others are
stopped too, with a message saying which one and how.

Each child runs in its own process group: the launcher decides the order and the signal of the
shutdown (a Celery worker finishes its task on SIGTERM), and grandchildren (gunicorn and Celery
pool processes) go with their parent.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.management import get_commands
from django.core.management.base import BaseCommand, CommandError

from sellercloud import embedded_redis

# How long children get to stop on SIGTERM before they are killed (a worker may be mid-task;
# with acks_late the task is delivered again, so a kill loses nothing).
STOP_GRACE_SECONDS = 15.0
COLOURS = ["36", "33", "35", "32", "34", "31"]


@dataclass
class Child:
    """A long-running process of the demo, started once."""

    name: str
    argv: list[str]
    proc: subprocess.Popen[bytes] | None = None


class Output:
    """Writes whole lines to stdout, each prefixed with its process name (one lock, no interleaving)."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.lock = threading.Lock()
        self.colour = stream.isatty() and not os.environ.get("NO_COLOR")
        self.width = 8
        self.colours: dict[str, str] = {}

    def line(self, name: str, text: str) -> None:
        prefix = f"{name:<{self.width}} |"
        if self.colour:
            code = self.colours.setdefault(name, COLOURS[len(self.colours) % len(COLOURS)])
            prefix = f"\033[{code}m{prefix}\033[0m"
        with self.lock:
            self.stream.write(f"{prefix} {text}\n")
            self.stream.flush()

    def pump(self, name: str, pipe: IO[bytes]) -> None:
        """Copy a child's output line by line until it closes its end."""
        for raw in iter(pipe.readline, b""):
            self.line(name, raw.decode("utf-8", "replace").rstrip("\n"))
        pipe.close()


class Command(BaseCommand):
    help = "Run web, Celery worker, Celery beat and the Cdiscount sandbox together (make run)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--bind",
            default=os.environ.get("WEB_BIND", "127.0.0.1:8000"),
            help="Address of the web server (default: WEB_BIND or 127.0.0.1:8000).",
        )
        parser.add_argument("--skip-setup", action="store_true", help="Do not migrate, collect static or seed.")

    def handle(self, *args: Any, **options: Any) -> None:
        self.out = Output(sys.stdout)
        self.stopping = threading.Event()
        self.children: list[Child] = []
        code = self.run(bind=options["bind"], setup=not options["skip_setup"])
        if code:
            raise CommandError(f"Stopped (exit code {code}).", returncode=code)

    # --- steps ---------------------------------------------------------------------------------

    def say(self, text: str) -> None:
        self.out.line("launcher", text)

    def run(self, *, bind: str, setup: bool) -> int:
        self.check_prerequisites()
        var = Path(settings.BASE_DIR) / "var"
        var.mkdir(exist_ok=True)
        env = self.child_environment()
        signal.signal(signal.SIGINT, self.on_signal)
        signal.signal(signal.SIGTERM, self.on_signal)

        login = ""
        if setup:
            for step in (["migrate", "--noinput"], ["collectstatic", "--noinput", "-v0"], ["seed_demo"]):
                status, lines = self.run_step(step, env)
                if status != 0:
                    self.say(f"`manage.py {' '.join(step)}` failed (exit code {status}): stopping.")
                    return status
                login = next((line for line in lines if line.startswith("Demo login:")), login)
                if self.stopping.is_set():
                    return 130  # Ctrl-C during setup: nothing long-running was started yet

        manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
        # --max-requests recycles web workers now and then, as production should.
        web = [sys.executable, "-m", "gunicorn", "sellercloud.wsgi:application", "--bind", bind, "--workers", "2"]
        web += ["--access-logfile", "-", "--graceful-timeout", "10", "--max-requests", "2000"]
        celery = [sys.executable, "-m", "celery", "-A", "sellercloud"]
        self.children = [
            Child("web", web),
            Child("worker", [*celery, "worker", "--concurrency", "2", "-l", "info"]),
            Child("beat", [*celery, "beat", "-l", "info", "--schedule", str(var / "celerybeat-schedule")]),
        ]
        # Word to PDF's LibreOffice, kept running and reused by every print (invoices, issue 20).
        if "run_converter" in get_commands():
            self.children.append(Child("office", [*manage, "run_converter"]))
        if "cdiscount_sandbox" in get_commands():
            sandbox = [*manage, "cdiscount_sandbox", "--port", "8100", "--state-file", str(var / "sandbox-state.json")]
            self.children.append(Child("sandbox", sandbox))
        else:
            self.say("sandbox skipped: `manage.py cdiscount_sandbox` does not exist yet in this checkout.")

        for child in self.children:
            if self.stopping.is_set():
                break
            self.start(child, env)
        threading.Thread(target=self.announce_when_up, args=(bind, login), daemon=True).start()
        return self.supervise()

    def check_prerequisites(self) -> None:
        # WeasyPrint loads Pango when imported: say what to install instead of a linker error later.
        try:
            import weasyprint  # noqa: F401
        except OSError as e:
            raise CommandError(
                f"WeasyPrint cannot load Pango ({e}). Install it: apt-get install -y libpango-1.0-0 "
                "libpangoft2-1.0-0 (macOS: brew install pango), then run `make run` again."
            ) from e

    def child_environment(self) -> dict[str, str]:
        """The environment every child gets: one Redis for all, unbuffered output, the sandbox reachable."""
        env = dict(os.environ)
        if os.environ.get("REDIS_URL"):
            self.say(f"Redis: {os.environ['REDIS_URL']} (from REDIS_URL)")
        else:
            url, proc = embedded_redis.start()
            env["REDIS_URL"] = url
            self.say(f"Redis: embedded redis-server (pid {proc.pid}) at {url}")
        database = settings.DATABASES["default"]
        self.say(f"Database: {database['ENGINE'].rsplit('.', 1)[-1]} {database['NAME']}")
        env["PYTHONUNBUFFERED"] = "1"
        env.setdefault("DJANGO_SETTINGS_MODULE", "sellercloud.settings")
        # The demo account talks to the sandbox on loopback, which production never allows.
        env.setdefault("CDISCOUNT_ALLOWED_PRIVATE_NETWORKS", "127.0.0.0/8")
        return env

    def run_step(self, step: list[str], env: dict[str, str]) -> tuple[int, list[str]]:
        """Run one setup command to completion, its output prefixed; returns (exit code, lines)."""
        name = step[0] if step[0] != "collectstatic" else "static"
        proc = subprocess.Popen(  # noqa: S603 (our interpreter and manage.py)
            [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *step],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        lines = []
        assert proc.stdout is not None
        for raw in iter(proc.stdout.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            lines.append(line)
            self.out.line(name, line)
        return proc.wait(), lines

    def start(self, child: Child, env: dict[str, str]) -> None:
        child.proc = subprocess.Popen(  # noqa: S603 (our interpreter and fixed arguments)
            child.argv,
            env=env,
            cwd=settings.BASE_DIR,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        assert child.proc.stdout is not None
        threading.Thread(target=self.out.pump, args=(child.name, child.proc.stdout), daemon=True).start()
        self.say(f"started {child.name} (pid {child.proc.pid}): {' '.join(child.argv[1:])}")

    def announce_when_up(self, bind: str, login: str) -> None:
        host, _, port = bind.rpartition(":")
        while not self.stopping.is_set():
            try:
                with socket.create_connection((host or "127.0.0.1", int(port)), timeout=1):
                    break
            except OSError:
                time.sleep(0.3)
        else:
            return
        self.say(f"Ready: open http://{bind}/  {login or ''}".rstrip())
        self.say("Press Ctrl-C to stop everything.")

    # --- supervision and shutdown --------------------------------------------------------------

    def on_signal(self, signum: int, frame: Any) -> None:
        if self.stopping.is_set():
            return
        self.say(f"{signal.Signals(signum).name} received: stopping every process.")
        self.stopping.set()

    def supervise(self) -> int:
        """Wait until Ctrl-C or a child exits; then stop the rest. Returns the exit code."""
        code = 0
        while not self.stopping.wait(0.3):
            for child in self.children:
                assert child.proc is not None
                status = child.proc.poll()
                if status is not None:
                    how = (
                        f"was killed by {signal.Signals(-status).name}" if status < 0 else f"exited with code {status}"
                    )
                    self.say(f"{child.name} {how}: stopping the others.")
                    code = status if status > 0 else 1
                    self.stopping.set()
                    break
        self.stop_all()
        return code

    def stop_all(self) -> None:
        running = [c for c in self.children if c.proc is not None and c.proc.poll() is None]
        # Web first (no new requests), beat (no new schedules), then the worker and the sandbox.
        for child in running:
            self.signal_group(child, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in running:
            assert child.proc is not None
            try:
                child.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say(f"{child.name} did not stop within {STOP_GRACE_SECONDS:.0f} s: killing it.")
                self.signal_group(child, signal.SIGKILL)
                child.proc.wait()
            self.say(f"{child.name} stopped (exit code {child.proc.returncode}).")
        for child in self.children:
            # Pool processes left behind by a killed parent go with their group.
            self.signal_group(child, signal.SIGKILL)
        self.say("all processes stopped.")

    @staticmethod
    def signal_group(child: Child, signum: int) -> None:
        if child.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):  # the whole group is already gone
            os.killpg(child.proc.pid, signum)
