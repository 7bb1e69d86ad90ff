"""The W3C Bitstring Status List (revocation and suspension)."""
