"""Requests ("écrire à la mairie"): what citizens write to the town hall, acknowledged, answered, followed."""
