"""API keys for agencies and third parties: scopes, region, quota, rotation with overlap, revocation."""
