"""Commands: ``Command`` and ``IdempotentCommand``."""

from __future__ import annotations

from lexigram.contracts.messages import Command

__all__ = ["Command", "IdempotentCommand"]


class IdempotentCommand(Command):
    """A command that must take effect at most once per ``idempotency_key``.

    When no key is given, the command's own ``id`` serves as the key.
    """

    __lexigram_base__ = True

    idempotency_key: str | None = None

    @property
    def effective_idempotency_key(self) -> str:
        """The key that identifies this command for de-duplication."""
        return self.idempotency_key if self.idempotency_key is not None else str(self.id)
