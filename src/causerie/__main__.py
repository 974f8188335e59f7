"""``python -m causerie`` runs the command line."""

from causerie.cli import app

app()
