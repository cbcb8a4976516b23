"""Use cases: take a session (keyword-only) and values, call the domain, never commit."""
