"""The order-fulfilment demo: commands, an aggregate, events and a read model in one small app.

Run it with ``lexigram-events demo``.
"""

from lexigram.events.demo.app import run_demo

__all__ = ["run_demo"]
