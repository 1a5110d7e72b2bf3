"""The ANTS (passports and identity cards): the search API the national site calls (``hub.py``), the
anti-duplicate API we call (``client.py``), and what a pre-application's status allows (``rules.py``).

Off unless ``[ants] enabled`` (README, "ANTS"). The contract followed, and where it was read, is in
``values.py``."""
