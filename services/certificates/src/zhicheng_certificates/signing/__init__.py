"""Signing keys with ids and validity, SM2/SM3 and Ed25519 (eddsa-jcs-2022) signatures, published key documents."""
