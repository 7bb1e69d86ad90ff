"""zhicheng_gateway: the one entry point: sign-in, users and jurisdiction, forwarding, one API document."""
