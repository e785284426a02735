"""Connection URLs in messages: the password never appears."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

__all__ = ["redact_url"]


def redact_url(url: str) -> str:
    """Return ``url`` with any password replaced by ``***`` (``redis://app:***@host:6379/0``).

    Text that does not parse as a URL is replaced as a whole, since it could be a secret.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port
    except ValueError:
        return "<unparseable url>"
    if "@" not in parts.netloc:
        return url
    user = parts.username or ""
    credentials = f"{user}:***" if parts.password is not None else user
    address = host or ""
    if ":" in address:
        address = f"[{address}]"
    if port is not None:
        address = f"{address}:{port}"
    return urlunsplit((parts.scheme, f"{credentials}@{address}", parts.path, parts.query, parts.fragment))
