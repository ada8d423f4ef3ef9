"""Where a webhook may send: http(s) URLs without credentials whose host resolves only to public addresses.

Checked when a webhook is saved and again before every attempt (a name can resolve elsewhere by then), and
the attempt connects to the very address that was checked, so a second lookup cannot switch it.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit, urlunsplit

from pmdi.core.network import IPAddress, addresses_of, first_private
from pmdi.webhooks.errors import UnsafeWebhookUrl

_ALLOW_HINT = "an administrator can allow that with PMDI_WEBHOOKS__ALLOW_PRIVATE_TARGETS=true"


@dataclass(frozen=True)
class Target:
    """A URL with its host replaced by the checked address, and what to present as the host name."""

    url: str
    host_header: str
    sni_hostname: str | None


def parse_url(url: str) -> SplitResult:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UnsafeWebhookUrl(f"The webhook URL is not valid: {exc}.") from exc
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise UnsafeWebhookUrl("The webhook URL must be an http:// or https:// URL with a host.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeWebhookUrl(
            "The webhook URL must not contain credentials; receivers verify the signature instead."
        )
    if port == 0:
        raise UnsafeWebhookUrl("The webhook URL's port is not valid.")
    try:
        if ":" not in parts.hostname:  # an IPv6 literal is no name to encode
            parts.hostname.encode("idna")
    except UnicodeError as exc:
        raise UnsafeWebhookUrl("The webhook URL's host name is not valid.") from exc
    return parts


async def resolve(parts: SplitResult, allow_private: bool) -> IPAddress:
    """The address to connect to: every address of the name must be public unless private ones are allowed."""
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = await addresses_of(host, port)
    except (OSError, UnicodeError) as exc:
        raise UnsafeWebhookUrl(f"The webhook URL's host {host!r} does not resolve.") from exc
    if not addresses:
        raise UnsafeWebhookUrl(f"The webhook URL's host {host!r} does not resolve.")
    private = None if allow_private else first_private(addresses)
    if private is not None:
        raise UnsafeWebhookUrl(
            f"The webhook URL's host {host!r} resolves to {private}, a private, loopback, "
            f"link-local or otherwise non-public address; {_ALLOW_HINT}."
        )
    return addresses[0]


async def check(url: str, allow_private: bool) -> str:
    """The URL as it will be stored, after the same checks every attempt makes."""
    parts = parse_url(url)
    await resolve(parts, allow_private)
    return urlunsplit(parts._replace(fragment=""))


async def pin(url: str, allow_private: bool) -> Target:
    parts = parse_url(url)
    address = await resolve(parts, allow_private)
    host = parts.hostname or ""
    literal = f"[{address}]" if address.version == 6 else str(address)
    port = f":{parts.port}" if parts.port else ""
    ascii_host = host.encode("idna").decode() if ":" not in host else f"[{host}]"
    pinned = urlunsplit(parts._replace(netloc=literal + port, path=parts.path or "/", fragment=""))
    # TLS must still present and verify the name, not the address connected to.
    sni = ascii_host if parts.scheme == "https" and not _is_literal(host) else None
    return Target(pinned, ascii_host + port, sni)


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
