"""Annual evaluation plans (年度评审计划, CM-5..CM-8)."""
