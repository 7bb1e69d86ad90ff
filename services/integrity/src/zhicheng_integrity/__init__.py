"""zhicheng_integrity: Credit and integrity records (诚信档案) and their effects on the other services."""
