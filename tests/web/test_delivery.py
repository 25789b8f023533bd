"""Compression and cache headers on each kind of answer (issue 25): pages, fragments, static
files, JSON and the live stream."""

import gzip
import re

import brotli
import pytest

from heart_field.domain import feed
from heart_field.extensions import db
from heart_field.models import Role
from tests.conftest import make_test_app, make_user

BROWSER = "gzip, deflate, br, zstd"


def fetch(client, url, **headers):
    with client.get(url, headers=headers) as response:
        response.get_data()
        return response


def decoded(response) -> bytes:
    body = response.get_data()
    encoding = response.headers.get("Content-Encoding")
    if encoding == "br":
        return brotli.decompress(body)
    if encoding == "gzip":
        return gzip.decompress(body)
    return body


@pytest.fixture
def crew(sign_in, responder):
    return sign_in(responder)


def static_urls(page_html: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/static/[^"]+)"', page_html)


def test_pages_are_compressed_and_never_stored(crew):
    """A page with personal details is never kept by a browser or proxy (no-store, the
    security issue's rule), so it is fetched whole each time; compressed on the way."""
    response = crew.get("/field/", headers={"Accept-Encoding": BROWSER})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "br"
    assert b"field-card" in decoded(response)
    assert len(response.get_data()) < len(decoded(response)) / 2
    assert response.headers["Cache-Control"] == "no-store"
    assert "Accept-Encoding" in response.headers["Vary"]


def test_a_fragment_is_compressed_and_never_stored(crew):
    response = crew.get("/field/card", headers={"Accept-Encoding": "gzip", "HX-Request": "true"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert b'id="field-card"' in decoded(response)
    assert response.headers["Cache-Control"] == "no-store"


def test_static_urls_carry_the_files_hash_and_are_immutable_for_a_year(app, crew):
    urls = static_urls(crew.get("/field/").text)
    assert any("htmx" in u for u in urls) and any("app.css" in u for u in urls)
    hashes = app.extensions["heart_static_hashes"]
    for url in urls:
        path, _, version = url.removeprefix("/static/").partition("?v=")
        assert version == hashes[path], url
        response = fetch(crew.client, url, **{"Accept-Encoding": BROWSER})
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable", url
        # A session cookie that changes must not make the cached file a miss.
        assert response.headers["Vary"] == "Accept-Encoding", url
        assert "Set-Cookie" not in response.headers, url


def test_scripts_and_styles_are_compressed(crew):
    for url in static_urls(crew.get("/field/").text):
        if url.split("?")[0].endswith((".js", ".css")):
            response = fetch(crew.client, url, **{"Accept-Encoding": BROWSER})
            assert response.headers["Content-Encoding"] == "br", url
            assert len(response.get_data()) < len(decoded(response)), url


def test_a_static_file_without_its_current_hash_is_revalidated(client):
    for url in ("/static/js/app.js", "/static/js/app.js?v=stale"):
        response = fetch(client, url)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-cache"


def test_json_is_compressed(client):
    response = client.get("/api/v1/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert b'"openapi"' in decoded(response)


def test_the_live_stream_is_never_compressed(app, sign_in):
    board = sign_in(make_user("dispatcher", Role.DISPATCHER))
    cursor = feed.latest_cursor(db.session)
    response = board.get(f"/live/events?after={cursor}", headers={"Accept-Encoding": BROWSER})
    assert response.mimetype == "text/event-stream"
    assert "Content-Encoding" not in response.headers
    assert response.get_data().startswith(b"retry: ")


def test_compression_can_be_left_to_a_proxy(tmp_path, monkeypatch):
    monkeypatch.setenv("HEART_COMPRESS", "0")
    url = f"sqlite:///{tmp_path / 'x.db'}"
    app = make_test_app(SQLALCHEMY_DATABASE_URI=url)
    with app.test_client() as client:
        response = fetch(client, "/login", **{"Accept-Encoding": BROWSER})
    assert "Content-Encoding" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
