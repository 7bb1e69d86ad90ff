"""zhicheng_experts: The expert pool (专家库), terms, recusal and verifiable random draws."""
