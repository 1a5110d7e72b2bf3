"""The citizen record (CRM): people, associations and companies the town hall dealt with, and every
interaction on one timeline, sealed by sector (``domain/privacy.py``)."""
