"""zhicheng_review: The multi-level qualification review (资格审查), publicity (公示) and objections."""
