"""Sans-I/O WebSocket protocol: wire messages and their codec. Never awaits, never does I/O.

May import: stdlib, msgspec, ``causerie.errors``, ``causerie.ids``.
"""
