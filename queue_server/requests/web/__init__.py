"""The requests' HTTP endpoints."""
