"""Experts of the pool (专家): identity, unit, series and specialties, terms, relationships, accounts, import."""
