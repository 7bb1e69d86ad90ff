"""zhicheng_certificates: Signed electronic certificates, verification and revocation."""
