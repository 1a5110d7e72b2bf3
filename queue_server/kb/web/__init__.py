"""The knowledge base's HTTP endpoints and pages."""
