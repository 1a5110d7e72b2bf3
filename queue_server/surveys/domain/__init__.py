"""The surveys' pure rules: when an invitation is due (delay, quiet hours on the site's clock), who may be invited
again, how long a token lives, what a comment keeps of the contacts typed into it, campaigns' questions and the
results' arithmetic. The standard library only."""
