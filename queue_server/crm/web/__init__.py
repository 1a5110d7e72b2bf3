"""The citizen record over HTTP: its JSON API (``api.py``) and its staff pages."""
