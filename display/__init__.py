"""``queue-display``: the hall's voice, a headless agent that speaks every call through a PC's speakers."""
