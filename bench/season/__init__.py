"""A province's full season, simulated over the gateway's public API (issue 18; docs/season.md)."""
