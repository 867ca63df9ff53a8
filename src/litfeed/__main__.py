"""``python -m litfeed`` is the ``litfeed`` command."""

from litfeed.cli import main

main()
