"""The requests' rules: pure, the standard library only."""
