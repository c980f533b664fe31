"""Credentials: certificates, their codes, signatures, Open Badges form, PDF and verification."""
