"""``python -m lantern`` runs the command line."""

from lantern.cli import main

main()
