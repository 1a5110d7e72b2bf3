"""The queue's rules: pure Python, no I/O, no clock (time is always an argument)."""
