"""Counter agents' clients: the terminal client ``queue-counter`` and the agent page's browser assets."""
