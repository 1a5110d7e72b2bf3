"""The queue's HTTP API, live feeds and pages."""
