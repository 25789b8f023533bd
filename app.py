"""Entry point: flask --app app ..., gunicorn app:app."""

from heart_field import create_app

app = create_app()
