"""E-mail intake: the collectivity's mailbox read over IMAP (``mailbox.py``), its e-mails read (``reading.py``)."""
