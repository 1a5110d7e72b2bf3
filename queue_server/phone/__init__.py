"""The phone desk: calls logged by staff (who called, why, what they were told, how it ended), the callbacks they
promise, and the figures of both for supervisors."""
