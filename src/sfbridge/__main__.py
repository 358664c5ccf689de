"""Allow `python -m sfbridge`."""

from sfbridge.cli import main

main()
