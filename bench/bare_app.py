"""The baseline for every benchmark ratio: a one-route JSON Flask app, served with the same gunicorn settings."""
from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/api/v1/certificates/<code>")
def certificate(code: str):
    return jsonify(code=code, status="valid")
