"""Causerie: topic-room chat, safe by design."""

__version__ = "0.1.0"
