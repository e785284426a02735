"""``python -m lexigram.events.cli``: the same as the ``lexigram-events`` command."""

from lexigram.events.cli.main import main

main()
