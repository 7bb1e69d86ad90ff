"""zhicheng_intake: Declarations (申报) and the eligibility rules."""
