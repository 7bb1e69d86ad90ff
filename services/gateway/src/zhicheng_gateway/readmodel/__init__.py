"""The province read model: every service's events projected for queries, statistics and exports (issue 17)."""
