"""Pool filings (专家库备案) per committee: members, validity, re-filing rules (EX-3, EX-4, EX-5)."""
