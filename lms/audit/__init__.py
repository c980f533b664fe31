"""Audit log: who did what, when (authoring, enrolment changes, exports, certificate actions)."""
