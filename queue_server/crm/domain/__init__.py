"""The CRM's rules, pure: how names are folded and matched, who may read which timeline entry, when a
party is likely a duplicate and when it is due for purge. Standard library only."""
