"""One place that decides between a full page and an htmx fragment."""

from flask import render_template, request


def is_partial() -> bool:
    """An htmx request for a fragment (a boosted navigation still wants the whole page)."""
    return (
        request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"
    )


def render_page(page: str, fragment: str, status: int = 200, **context):
    """Render `page` for a browser, or just `fragment` (which `page` includes) for htmx."""
    return render_template(fragment if is_partial() else page, **context), status
