"""The queue: tickets, calls, counters, displays and kiosks (one module of the platform)."""
