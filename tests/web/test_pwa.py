"""The installable app over HTTP: service worker, manifest, icons, favicon."""

import json
import struct

from heart_field.pwa import static_build_id


def fetch(client, url):
    """GET a file and close it (files are streamed; an unclosed one is a warning)."""
    with client.get(url) as response:
        response.get_data()
        return response


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def test_service_worker_is_served_at_the_root_with_a_versioned_cache(app, client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response.headers["Cache-Control"]
    assert f'var BUILD = "{app.config["HEART_BUILD"]}";' in response.text
    assert "__HEART_BUILD__" not in response.text


def test_build_id_changes_when_any_static_file_changes(tmp_path):
    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "app.css").write_text("body { color: black }")
    before = static_build_id(str(tmp_path))
    assert static_build_id(str(tmp_path)) == before
    (tmp_path / "css" / "app.css").write_text("body { color: navy }")
    assert static_build_id(str(tmp_path)) != before


def test_manifest_is_installable_with_real_icons(client):
    response = fetch(client, "/static/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.data)
    assert manifest["display"] == "standalone"
    assert manifest["start_url"] == "/field/"
    assert manifest["theme_color"].startswith("#")
    purposes = {icon["purpose"] for icon in manifest["icons"]}
    assert {"any", "maskable"} <= purposes
    sizes = set()
    for icon in manifest["icons"]:
        image = fetch(client, icon["src"])
        assert image.status_code == 200, icon["src"]
        width, height = png_size(image.data)
        assert f"{width}x{height}" == icon["sizes"]
        sizes.add(width)
    assert {192, 512} <= sizes


def test_every_page_links_the_manifest_and_icons(client):
    page = client.get("/login").text
    assert 'rel="manifest" href="/static/manifest.webmanifest?v=' in page
    assert 'rel="icon" href="/favicon.ico"' in page


def test_favicon_is_an_icon(client):
    response = fetch(client, "/favicon.ico")
    assert response.status_code == 200
    assert response.data[:4] == b"\x00\x00\x01\x00"  # ICO header


def test_worker_fetches_nothing_while_installing(client):
    """The first visit's download is the page's own: the worker keeps files only when a usable
    page names them (a "keep" message from app.js), and only files under /static/."""
    source = client.get("/sw.js").text
    install = source.split('addEventListener("install"', 1)[1].split("});", 1)[0]
    assert "fetch" not in install and "addAll" not in install
    assert 'data.type !== "keep"' in source
    assert 'url.indexOf("/static/") === 0' in source
