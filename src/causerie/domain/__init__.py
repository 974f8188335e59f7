"""Pure domain: entities and rules (text, nicknames, regions). No I/O, no framework.

May import: stdlib, causerie.errors (and causerie.ids for entities).
"""
