"""Catalogue and learning: courses, modules, lessons, enrolment, progress."""
