"""Public certificate verification: the /verify page and the JSON API behind it (docs/verify.md)."""
