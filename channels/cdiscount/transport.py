"""The client's HTTP session: where it may connect, checked on every connection (SPEC S12).

A marketplace URL can be typed by a user (Custom URL), so a request must never reach what only
this machine can reach: loopback, private, link-local and cloud-metadata addresses are refused
unless a network is listed as allowed (the local sandbox on 127.0.0.0/8). The check runs when
each connection is made, on the addresses DNS gives then, and the socket connects to the very
address that was checked, so a name that resolves elsewhere later (DNS rebinding) gains nothing.
Nothing is sent to a refused address, so a refusal looks the same whether a port is open or not.
Redirects are never followed and proxies from the environment are not used.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util import connection

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class AddressNotAllowed(Exception):
    """The URL's host is, or resolves to, an address the client may not connect to.

    Not an OSError on purpose: urllib3 and requests let it through unchanged, so it is never
    mistaken for a network fault and retried.
    """

    def __init__(self, host: str, address: str) -> None:
        shown = host if host == address else f"{host} ({address})"
        super().__init__(
            f"{shown} is a private, local or link-local address: the marketplace client does not connect to it"
        )
        self.host = host
        self.address = address


class AddressPolicy:
    """Which peer addresses are allowed: public ones, plus the networks listed as allowed."""

    def __init__(self, allowed_networks: Iterable[str | IPNetwork] = ()) -> None:
        self.allowed: tuple[IPNetwork, ...] = tuple(ipaddress.ip_network(n, strict=False) for n in allowed_networks)

    def permits(self, address: str) -> bool:
        ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
        if any(ip.version == net.version and ip in net for net in self.allowed):
            return True
        # is_global is False for loopback, private, link-local (169.254.169.254, the cloud
        # metadata service, included), shared, reserved and unspecified addresses.
        return ip.is_global and not ip.is_multicast

    def resolve(self, host: str, port: int) -> list[tuple[Any, ...]]:
        """The addresses to connect to, all of them permitted, or AddressNotAllowed."""
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        for info in infos:
            address = str(info[4][0])
            if not self.permits(address):
                # One refused address refuses the name: a round-robin answer could mix them.
                raise AddressNotAllowed(host, address)
        return infos


class _CheckedConnectionMixin:
    """Connects only to addresses the policy permits (see the module docstring).

    Always mixed into urllib3's HTTPConnection (checked_session), which mypy cannot see here:
    hence the two `type: ignore[arg-type]` where urllib3's errors take `self` as the connection.
    """

    policy: AddressPolicy
    host: str
    port: int
    timeout: Any
    source_address: Any
    socket_options: Any
    _dns_host: str

    def _new_conn(self) -> socket.socket:
        try:
            infos = self.policy.resolve(self._dns_host, self.port)
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc  # type: ignore[arg-type]
        error: OSError | None = None
        for *_, sockaddr in infos:
            try:
                # The checked address itself, not the name: resolving again could answer otherwise.
                return connection.create_connection(
                    (sockaddr[0], self.port),
                    self.timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except TimeoutError as exc:
                raise ConnectTimeoutError(
                    self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})"
                ) from exc
            except OSError as exc:
                error = exc
        raise NewConnectionError(self, f"Failed to establish a new connection: {error}")  # type: ignore[arg-type]


def checked_session(policy: AddressPolicy) -> requests.Session:
    """A requests Session whose every connection is checked against `policy`, without proxies."""
    http_connection = type("CheckedHTTPConnection", (_CheckedConnectionMixin, HTTPConnection), {"policy": policy})
    https_connection = type("CheckedHTTPSConnection", (_CheckedConnectionMixin, HTTPSConnection), {"policy": policy})
    http_pool = type("CheckedHTTPConnectionPool", (HTTPConnectionPool,), {"ConnectionCls": http_connection})
    https_pool = type("CheckedHTTPSConnectionPool", (HTTPSConnectionPool,), {"ConnectionCls": https_connection})

    class CheckedAdapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {"http": http_pool, "https": https_pool}

    session = requests.Session()
    session.trust_env = False  # no HTTP(S)_PROXY or .netrc: a proxy would be the peer we check
    adapter = CheckedAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
