"""The knowledge base: information sheets that every agent can find and give a citizen, some of them public (the FAQ),
some shared with partner collectivities (a city and its agglomeration)."""
