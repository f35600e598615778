"""The public portal lists only the public services that are installed and routed, without sign-in."""

from __future__ import annotations


def test_portal_needs_no_sign_in_and_links_only_working_pages(client):
    from jiliang.web.public import SERVICES, available_services

    r = client.get("/public")
    assert r.status_code == 200
    assert "公众服务" in r.text
    shown = {path for path, _title, _desc in available_services()}
    assert {"/verify", "/public/c-mark"} <= shown
    for path, *_rest in SERVICES:
        if path in shown:
            assert f'href="{path}"' in r.text
            assert client.get(path).status_code == 200, path
        else:
            assert f'href="{path}"' not in r.text


def test_portal_in_english_and_linked_from_sign_in(client):
    assert "Public services" in client.get("/public?lang=en").text
    client.cookies.delete("lang")  # leave the shared client without a language choice
    assert 'href="/public"' in client.get("/login").text
