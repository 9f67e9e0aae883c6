"""The processes of `make soak`: Celery workers and beat, each in a process group of its own, so a
SIGKILL is real and nothing is left behind (bench/soak.py drives them)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _cpu_ticks(pid: int) -> int:
    """User + system CPU ticks of a process so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime, stime


@dataclass
class Child:
    """One long-running process of the soak: its command, its log, its process."""

    name: str
    command: list[str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    last_ticks: int = 0

    def start(self, env: dict[str, str]) -> None:
        with self.log_path.open("ab") as log:
            # A session of its own: Ctrl-C in the terminal reaches the soak only, which stops us in order.
            self.process = subprocess.Popen(  # noqa: S603 (our interpreter, our arguments)
                self.command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.last_ticks = _cpu_ticks(self.process.pid)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def busy_ticks(self) -> int:
        """CPU ticks used since the last call: a worker in the middle of a run uses some."""
        if self.process is None:
            return 0
        now = _cpu_ticks(self.process.pid)
        used, self.last_ticks = now - self.last_ticks, now
        return used

    def kill(self) -> None:
        """SIGKILL to the whole group: no cleanup, no ack, its lock left to expire."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        """SIGTERM (a warm shutdown), then SIGKILL if it does not go within 20 s."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()
        except ProcessLookupError:
            pass


@dataclass
class Fleet:
    """`workers` solo Celery workers (one process each: the four processes of the soak) and beat."""

    workers: list[Child]
    beat: Child
    env: dict[str, str]
    kills: int = 0
    restarts: list[str] = field(default_factory=list)

    @classmethod
    def make(cls, *, count: int, work: Path, env: dict[str, str]) -> Fleet:
        celery = [sys.executable, "-m", "celery", "-A", "sellercloud"]
        workers = [
            Child(
                name=f"worker{n}",
                command=[
                    *celery,
                    "worker",
                    "--pool",
                    "solo",
                    "-n",
                    f"soak{n}@%h",
                    "--without-gossip",
                    "--without-mingle",
                    "-l",
                    "info",
                ],
                log_path=work / f"worker{n}.log",
            )  # fmt: skip
            for n in range(1, count + 1)
        ]
        beat = Child(
            name="beat",
            command=[*celery, "beat", "-s", str(work / "beat-schedule"), "-l", "info"],
            log_path=work / "beat.log",
        )
        return cls(workers=workers, beat=beat, env=env)

    def start(self) -> None:
        for child in [*self.workers, self.beat]:
            child.start(self.env)
        deadline = time.monotonic() + 120
        for worker in self.workers:
            while "ready." not in worker.log_path.read_text(errors="replace"):
                if not worker.alive() or time.monotonic() > deadline:
                    raise RuntimeError(f"{worker.name} did not start; see {worker.log_path}")
                time.sleep(0.2)

    def kill_busiest(self) -> str:
        """Kill with SIGKILL the worker that used the most CPU since the last look (the one most
        likely in the middle of a run), then start it again. Returns its name."""
        victim = max(self.workers, key=lambda w: w.busy_ticks())
        victim.kill()
        self.kills += 1
        victim.start(self.env)
        self.restarts.append(victim.name)
        return victim.name

    def sample(self) -> None:
        """Reset every worker's CPU count (the next kill_busiest looks from here)."""
        for worker in self.workers:
            worker.busy_ticks()

    def revive(self) -> list[str]:
        """Start again any process that died by itself (it should not: say so)."""
        dead = [child for child in [*self.workers, self.beat] if not child.alive()]
        for child in dead:
            child.start(self.env)
        return [child.name for child in dead]

    def stop(self) -> None:
        """Beat first (no new work), then the workers: every process the soak started is gone."""
        for child in [self.beat, *self.workers]:
            child.stop()
