"""What every module shares: tenants and sites, people and their sessions, device tokens and pairing, the
audit log, revocations pushed to every process, text messages."""
