"""Satisfaction surveys: one invitation after a visit, an appointment or a request (never twice within
``[surveys] min_days_between`` days for one contact), the citizen's answer on ``/s/{token}``, and what citizens say,
per service, for supervisors."""
