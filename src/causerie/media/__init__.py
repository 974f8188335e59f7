"""Picture processing below the services: decoding and re-encoding (Pillow), hashing (SHA-256, MD5,
PDQ as in threatexchange), the in-memory hash-bank index and the readers of hash-list files.

May import: stdlib, Pillow, numpy, pdqhash, threatexchange, ``causerie.domain``, ``causerie.errors``.
Pure computation: no database, no network, no clock; CPU-heavy calls are run in worker threads by
``services.media``.
"""
