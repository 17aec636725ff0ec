"""``python -m infrabt`` is the ``infrabt`` command."""

from infrabt.cli import main

main()
