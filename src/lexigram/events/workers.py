"""Names of worker processes, as they appear in lease and claim tables and in logs."""

from __future__ import annotations

import os
import secrets
import socket

__all__ = ["default_worker_id"]


def default_worker_id() -> str:
    """``hostname-pid-random``: unique per process, readable in lease tables and logs."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
