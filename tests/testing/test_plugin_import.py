"""Importing the pytest plugin has no side effects."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys
from lexigram.contracts.messages import event_types
import lexigram.events.testing.plugin as plugin
assert "ConformanceOrderPlaced" not in event_types, "the plugin registered event types"
assert not [m for m in sys.modules if m.endswith("_contract")], "the plugin imported the suites"
assert not [n for n in dir(plugin) if n.startswith("pytest_")], "the plugin installs hooks"
from lexigram.events.testing import EventStoreContract, SnapshotStoreContract
assert "ConformanceOrderPlaced" in event_types
print("clean")
"""


def test_importing_the_plugin_registers_nothing_and_installs_no_hooks() -> None:
    result = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "clean"
