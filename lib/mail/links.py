"""Links in mail point at the frontend: the first origin of FRONTEND_URL."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from lib.core import config
from lib.core.config import ConfigError

DEV_FRONTEND = "http://localhost:3000"


def frontend_origin() -> str:
    """`scheme://host[:port]` of FRONTEND_URL's first entry (localhost:3000 outside production)."""
    settings = config.get_settings()  # through the module, so tests can swap the settings
    first = (settings.frontend_url or "").split(",")[0].strip()
    if not first:
        if settings.vercel_env == "production":
            raise ConfigError("FRONTEND_URL is not set: mail links need the frontend's address")
        return DEV_FRONTEND
    parts = urlsplit(first)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"FRONTEND_URL's first entry must be an http(s) origin, got {first!r}")
    return f"{parts.scheme}://{parts.netloc}"


def frontend_link(path: str, **query: str) -> str:
    """An absolute frontend link: `frontend_link("/reset-password", token=t)` -> `https://app/reset-password?token=t`."""
    if not path.startswith("/") or path.startswith("//"):
        raise ValueError(f"a frontend path starts with one '/', got {path!r}")
    return frontend_origin() + path + (f"?{urlencode(query)}" if query else "")
