"""WSGI entry point for gunicorn and `flask` auto-discovery."""
from lms import create_app

app = create_app()
