"""Authoring: trainers write courses, modules and lessons in the browser, upload images and publish versions."""
