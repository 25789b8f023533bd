"""The app's dispatching settings (city limits, geocoder, service hours, time zone), built once
in create_app from the configuration; the domain (intake) takes them as an argument."""

from flask import Flask, current_app

from .domain.intake import Dispatching


def init_app(app: Flask) -> None:
    """A bad HEART_SERVICE_HOURS, HEART_TIMEZONE, HEART_CITY_LIMITS or HEART_GEOCODER stops
    start-up here, naming the setting."""
    app.extensions["heart_geo"] = Dispatching.from_config(app.config)


def dispatching() -> Dispatching:
    return current_app.extensions["heart_geo"]
