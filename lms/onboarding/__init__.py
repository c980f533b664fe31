"""Onboarding: seller profiles, the rules for going live on a platform, the verifier console and the platform API."""
