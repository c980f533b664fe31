"""Cohorts: who teaches which course, training sessions in the provinces, their learners, reports."""
