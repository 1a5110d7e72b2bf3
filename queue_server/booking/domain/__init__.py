"""Booking's rules, pure: motifs, the slot engine, codes, check-in windows. Standard library only."""
