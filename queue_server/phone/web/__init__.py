"""The phone desk's HTTP endpoints and pages."""
