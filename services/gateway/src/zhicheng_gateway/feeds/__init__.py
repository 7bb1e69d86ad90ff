"""Inter-agency feeds: a log of every service's events, subscriptions that select what an agency
may receive, signed pull pages with a cursor, and Standard Webhooks pushes (docs/feeds.md)."""
