"""A local fake of the Octopia Seller API v2 (SPEC S10): its own threaded HTTP server, no Django.

    server = SandboxServer(config=SandboxConfig(orders=50, state_file=Path("var/sandbox-state.json")))
    server.start()                      # or serve_forever() in the foreground
    control = SandboxControl(server.base_url)

It serves the real paths on one port (`/auth/realms/maas/protocol/openid-connect/token` and
`/seller/v2/...`) plus a control API under `/_sandbox/` for tests and demos.
"""

from .config import Faults, PinnedClock, SandboxConfig, system_clock
from .control import SandboxControl
from .server import SandboxServer
from .state import SandboxState

__all__ = ["Faults", "PinnedClock", "SandboxConfig", "SandboxControl", "SandboxServer", "SandboxState", "system_clock"]
