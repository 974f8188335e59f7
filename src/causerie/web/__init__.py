"""HTTP and WebSocket entry points (FastAPI). Routes are thin: parse, call a service, answer.

May import: ``causerie.realtime``, ``causerie.services``, ``causerie.protocol``, ``causerie.domain``,
``causerie.errors``, ``causerie.config``, ``causerie.ids``, ``causerie.observability``.
"""
