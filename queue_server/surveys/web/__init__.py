"""The surveys' HTTP side: the JSON API (``api.py``), the citizen's page ``/s/{token}`` (``citizen.py``), the
results for supervisors (``report.py``: JSON, CSV and ``/enquetes``)."""
