"""Realtime: the local fan-out hub and the WebSocket connection driver.

May import: ``causerie.services``, ``causerie.protocol``, ``causerie.broker.base``, ``causerie.config``,
``causerie.errors``, ``causerie.ids``, ``causerie.domain``, ``causerie.clock``.
"""
