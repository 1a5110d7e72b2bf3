"""The phone desk's pure rules: a call's outcomes and duration, when a callback is due and overdue, the reasons'
list, the figures' buckets. The standard library only."""
