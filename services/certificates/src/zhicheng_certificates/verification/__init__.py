"""Offline verification of a QR token or a signed certificate document."""
