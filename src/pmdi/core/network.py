"""Whether an address is out on the internet: the one rule behind every outbound connection a user can aim
(webhook URLs, mail servers, an organisation's own model endpoint)."""

from __future__ import annotations

import ipaddress
import socket

import anyio

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_public(address: IPAddress) -> bool:
    """Globally routable unicast, including what an IPv6 address carries inside it (mapped, 6to4, Teredo)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = [address.ipv4_mapped, address.sixtofour, *(address.teredo or ())]
        if any(inner is not None and not is_public(inner) for inner in embedded):
            return False
    refused = (
        address.is_private,
        address.is_loopback,
        address.is_link_local,
        address.is_multicast,
        address.is_reserved,
        address.is_unspecified,
    )
    return address.is_global and not any(refused)


async def addresses_of(host: str, port: int) -> list[IPAddress]:
    """Every address the name resolves to (off the event loop); raises OSError or UnicodeError if none."""
    found = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0]) for *_, sockaddr in found]


def first_private(addresses: list[IPAddress]) -> IPAddress | None:
    return next((address for address in addresses if not is_public(address)), None)
