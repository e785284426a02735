"""Constants of the events subsystem: configuration names and logger names."""

from __future__ import annotations

__all__ = ["BUS_LOGGER", "CONFIG_KEY", "ENV_NESTING_SEPARATOR", "ENV_PREFIX"]

CONFIG_KEY = "events"
"""The key of the events section in an application config."""

ENV_PREFIX = "LEX_EVENTS__"
"""Environment variables starting with this configure the events subsystem."""

ENV_NESTING_SEPARATOR = "__"
"""Separates nested keys in an environment variable name (``LEX_EVENTS__EVENT_BUS__...``)."""

BUS_LOGGER = "lexigram.events.bus"
"""The logger the event bus reports handler failures to."""
