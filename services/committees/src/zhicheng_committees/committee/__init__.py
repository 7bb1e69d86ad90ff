"""Committees and their filings (核准备案), sanctions and evaluation scope (CM-1..CM-4, CM-10, NA-1, NA-13)."""
