"""The sandbox's HTTP server: the real Octopia paths on one port, plus `/_sandbox/` control.

Standard library only (http.server, threads): no Django in the request path. The routes,
answered by handler.py:

    POST /auth/realms/maas/protocol/openid-connect/token      client credentials -> token
    GET  /seller/v2/orders                                    filters, pageIndex from 1, pageSize <= 100
    GET  /seller/v2/orders/count                              a bare integer
    GET  /seller/v2/orders/{orderId}
    POST /seller/v2/orders/{orderId}/approval-status          {"approval_status": "Accepted"|"Refused"}
    POST /seller/v2/orders/{orderId}/shipments                [{parcelNumber, carrierName, trackingUrl, orderLineIds}]
    GET  /seller/v2/carriers

    GET  /_sandbox/health                  GET|POST /_sandbox/faults     POST /_sandbox/faults/reset
    POST /_sandbox/advance                 POST /_sandbox/tick           POST /_sandbox/tokens/expire
    GET|POST /_sandbox/orders              GET|PATCH|POST /_sandbox/orders/{orderId}
    GET|DELETE /_sandbox/requests          POST /_sandbox/save

Errors are application/problem+json, as the real API's (reference 3.9).
"""

from __future__ import annotations

import logging
import threading
from http.server import ThreadingHTTPServer

from .config import SandboxConfig
from .handler import API_PREFIX, TOKEN_PATH, SandboxHandler
from .state import SandboxState

logger = logging.getLogger(__name__)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], state: SandboxState) -> None:
        self.state = state
        super().__init__(address, SandboxHandler)


class SandboxServer:
    """The sandbox marketplace: start() in a background thread (tests) or serve_forever() (the command)."""

    def __init__(self, *, config: SandboxConfig, host: str = "127.0.0.1", port: int = 0) -> None:
        self.config = config
        self.state = SandboxState(config)
        self._httpd = _Server((host, port), self.state)
        bound_host, self.port = self._httpd.server_address[:2]
        self.host = str(bound_host)  # an IPv4 server's host: a str already
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base_url(self) -> str:
        return self.base_url + API_PREFIX

    @property
    def token_url(self) -> str:
        return self.base_url + TOKEN_PATH

    def _start_helpers(self) -> None:
        self.state.save()
        saver = threading.Thread(target=self._save_loop, name="sandbox-saver", daemon=True)
        saver.start()
        self._threads.append(saver)
        if self.config.tick_seconds > 0:
            ticker = threading.Thread(target=self._tick_loop, name="sandbox-ticker", daemon=True)
            ticker.start()
            self._threads.append(ticker)

    def start(self) -> SandboxServer:
        """Serve in a background thread; returns at once."""
        self._start_helpers()
        # A short poll interval so that stop() returns quickly (tests start and stop many sandboxes).
        thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="sandbox-http", daemon=True
        )
        thread.start()
        self._threads.append(thread)
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until stop() or Ctrl-C; the state is saved on the way out."""
        self._start_helpers()
        try:
            self._httpd.serve_forever()
        finally:
            self._finish()

    def stop(self) -> None:
        """Stop serving and save the state."""
        self._httpd.shutdown()
        self._finish()

    def _finish(self) -> None:
        if self._stop.is_set():
            return
        self._stop.set()
        self._httpd.server_close()
        self.state.save()

    def _save_loop(self) -> None:
        # Write-behind: one file write per half second at most, however busy the API is.
        while not self._stop.wait(0.5):
            if self.state.dirty:
                try:
                    self.state.save()
                except OSError:
                    logger.exception("sandbox_save_failed")

    def _tick_loop(self) -> None:
        while not self._stop.wait(self.config.tick_seconds):
            self.state.tick()
