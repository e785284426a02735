"""``Message`` and ``MessageMetadata`` (the contracts classes)."""

from lexigram.contracts.messages import Message, MessageMetadata

__all__ = ["Message", "MessageMetadata"]
