"""Appointments and the "parcours usager": motifs, free slots, booking, check-in (API.md "Appointments")."""
