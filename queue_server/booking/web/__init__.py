"""Booking on the web: its JSON API (api.py), the citizens' and the staff's pages."""
