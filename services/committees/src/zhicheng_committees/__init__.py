"""zhicheng_committees: Committee approval and filing (核准备案), annual plans, meetings, votes, results."""
