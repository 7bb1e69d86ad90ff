"""Events between services: CloudEvents envelope, outbox and relay, inbox consumers, dead letters."""
