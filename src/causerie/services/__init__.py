"""Services: the only writers. ``check_*`` validates, ``do_*``/actions write, then publish after commit.

May import: ``causerie.domain``, ``causerie.safety``, ``causerie.storage.base``, ``causerie.broker.base``,
``causerie.protocol`` (to encode each event once), ``causerie.clock``, ``causerie.config``,
``causerie.errors``, ``causerie.ids``.
"""
