"""Analysers that read more than words: minors' self-disclosure, phone numbers, grooming and
meet-up risk (weighing the cues the rules found with the conversation), behaviour over time
(bot farms, mass contact) and the per-user risk score.

May import: stdlib, ``phonenumbers``, ``causerie.clock``, ``causerie.safety.normalize``,
``causerie.safety.verdict``.
"""
