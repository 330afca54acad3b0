"""HTTP done right: caching, links, CORS, JSON errors, tokens, rate limits, bad input never 500."""

from __future__ import annotations

import hashlib

import pytest
from api_support import assert_valid
from factories import make_org, make_service

from nko_openness import hookimpl
from nko_openness.export import feed
from nko_openness.models import ApiToken


class InternalFieldPlugin:
    """A municipality's plugin: one public field and one for the Resource Centre only."""

    @hookimpl
    def nko_extra_fields(self, entity):
        if entity != "organization":
            return []
        return [
            {"name": "district", "label_ru": "Микрорайон", "type": "text"},
            {"name": "volunteers", "label_ru": "Число добровольцев", "type": "integer",
             "public": False},
            {"name": "inspector_note", "label_ru": "Заметка", "type": "text", "public": False,
             "exported": False},
        ]


@pytest.fixture
def app_config():
    return {"NKO_PLUGINS": [InternalFieldPlugin()], "NKO_API_RATE_LIMIT": "30/minute",
            "NKO_API_TOKEN_RATE_LIMIT": "60/minute"}


@pytest.fixture
def token(session):
    _token, secret = feed.create_token(session, "Ресурсный центр")
    session.commit()
    return secret


def bearer(secret):
    return {"Authorization": f"Bearer {secret}"}


def test_etag_last_modified_and_304(session, client):
    make_org(session)
    first = client.get("/nko/api/v1/changes?after=0")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert first.headers["Cache-Control"].startswith("public, max-age=")
    again = client.get("/nko/api/v1/changes?after=0", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b"" and again.headers["ETag"] == etag
    since = client.get("/nko/api/v1/changes?after=0", headers={"If-Modified-Since": modified})
    assert since.status_code == 304
    for url in ("/nko/api/hsds/organizations", "/nko/api/hsds/taxonomy_terms",
                "/nko/api/v1/snapshot.json", "/nko/api/openapi.json"):
        tag = client.get(url).headers["ETag"]
        assert client.get(url, headers={"If-None-Match": tag}).status_code == 304, url
    make_org(session)  # a publication is a new version of every data response
    assert client.get("/nko/api/v1/changes?after=0",
                      headers={"If-None-Match": etag}).status_code == 200
    other = client.get("/nko/api/v1/changes?after=0&limit=5", headers={"If-None-Match": etag})
    assert other.status_code == 200


def test_links_use_the_configured_base_url(session, app, client):
    make_org(session)
    make_org(session)
    app.extensions["nko_openness"].config["NKO_BASE_URL"] = "https://belogorsk.example/nko/"
    page = client.get("/nko/api/v1/changes?after=0&limit=1")
    body = page.get_json()
    assert body["links"]["next"] == (
        f"https://belogorsk.example/nko/api/v1/changes?after={body['next']}&limit=1")
    assert page.headers["Link"].startswith("<https://belogorsk.example/nko/api/v1/changes?")
    assert body["items"][0]["data"]["uri"].startswith("https://belogorsk.example/nko/organiz")
    hsds_page = client.get("/nko/api/hsds/organizations?per_page=1")
    assert 'rel="next"' in hsds_page.headers["Link"]
    assert hsds_page.get_json()["links"]["next"].startswith("https://belogorsk.example/nko/api/")
    doc = client.get("/nko/api/openapi.json").get_json()
    assert doc["servers"] == [{"url": "https://belogorsk.example/nko/api"}]


def test_behind_a_proxy_without_base_url_links_follow_the_request(session, client):
    make_org(session)
    body = client.get("/nko/api/hsds/", base_url="https://city.example").get_json()
    assert body["profile"] == "https://city.example/nko/api/hsds/profile"


def test_cors_on_reads_and_preflight(client):
    response = client.get("/nko/api/hsds/", headers={"Origin": "https://rc.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]
    preflight = client.options("/nko/api/v1/changes", headers={
        "Origin": "https://rc.example", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "Authorization"})
    assert preflight.status_code == 200
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    assert preflight.headers["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"


def test_errors_are_json_in_two_languages(client):
    missing = client.get("/nko/api/nothing/here")
    assert missing.status_code == 404 and missing.mimetype == "application/json"
    error = missing.get_json()["error"]
    assert error["message"] and error["message_en"] and error["code"] == "not_found"
    assert client.get(f"/nko/api/hsds/services/{'0' * 8}-0000-0000-0000-{'0' * 12}"
                      ).status_code == 404
    assert client.get("/nko/api/hsds/services/not-a-uuid").get_json()["error"]["status"] == 404
    write = client.post("/nko/api/hsds/services", data="{}")
    assert write.status_code == 405 and write.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert write.get_json()["error"]["code"] == "method_not_allowed"
    assert missing.headers["Cache-Control"] == "no-store"


def test_tokens_unlock_internal_fields_only(session, client, token):
    org = make_org(session, extra={"district": "Центральный", "volunteers": 987654,
                                   "inspector_note": "никогда не выгружается"})
    public = client.get(f"/nko/api/hsds/organizations/{org.uuid}").get_json()
    private = client.get(f"/nko/api/hsds/organizations/{org.uuid}",
                         headers=bearer(token)).get_json()
    assert public["extra"] == {"district": "Центральный"}
    assert private["extra"] == {"district": "Центральный", "volunteers": 987654}
    for url in ("/nko/api/v1/changes?after=0", "/nko/api/v1/snapshot.json",
                "/nko/api/hsds/organizations?format=ndjson"):
        anonymous = client.get(url).get_data(as_text=True)
        assert "987654" not in anonymous and "volunteers" not in anonymous, url
        internal = client.get(url, headers=bearer(token)).get_data(as_text=True)
        assert '"volunteers":987654' in internal and "никогда" not in internal, url
    # The profile describes what each audience receives.
    public_profile = client.get("/nko/api/hsds/profile").get_json()
    private_profile = client.get("/nko/api/hsds/profile", headers=bearer(token)).get_json()
    assert_valid("organization", public, public_profile)
    assert_valid("organization", private, private_profile)
    with pytest.raises(AssertionError):
        assert_valid("organization", private, public_profile)
    response = client.get("/nko/api/v1/changes?after=0", headers=bearer(token))
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert "Authorization" in response.headers["Vary"]


def test_tokens_are_stored_hashed_and_checked_strictly(session, client, token):
    stored = session.query(ApiToken).one()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in (stored.prefix, stored.name) and token.startswith(stored.prefix)
    for headers in (bearer(token + "x"), {"Authorization": "Bearer"},
                    {"Authorization": f"bearer  {token}x"}):
        response = client.get("/nko/api/hsds/", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    # Another scheme is not a token: a site behind HTTP Basic auth still serves public data.
    basic = client.get("/nko/api/hsds/profile", headers={"Authorization": f"Basic {token}"})
    assert basic.status_code == 200 and basic.headers["Cache-Control"].startswith("public")
    in_url = client.get(f"/nko/api/hsds/?access_token={token}")
    assert in_url.status_code == 400 and in_url.get_json()["error"]["code"] == "token_in_url"
    assert client.get("/nko/api/hsds/", headers=bearer(token)).status_code == 200
    feed.revoke_token(session, str(stored.id))
    session.commit()
    assert client.get("/nko/api/hsds/", headers=bearer(token)).status_code == 401


def test_rate_limits_are_higher_with_a_token(client, token):
    for _ in range(30):
        assert client.get("/nko/api/hsds/").status_code == 200
    limited = client.get("/nko/api/hsds/")
    assert limited.status_code == 429
    assert limited.get_json()["error"]["message_en"].startswith("Too many")
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.headers["X-RateLimit-Limit"] == "30"
    # A token holder has a budget of its own, and a larger one.
    for _ in range(45):
        assert client.get("/nko/api/hsds/", headers=bearer(token)).status_code == 200
    # The host's own pages are never limited by the module.
    assert client.get("/nko/").status_code == 200


def test_token_cli_creates_lists_and_revokes(runner, session):
    created = runner.invoke(args=["nko", "token", "create", "Ресурсный центр"])
    assert created.exit_code == 0, created.output
    secret = created.output.strip().splitlines()[-1]
    assert secret.startswith("nko_")
    listed = runner.invoke(args=["nko", "token", "list"]).output
    assert "Ресурсный центр" in listed and secret not in listed and "действует" in listed
    token_id = listed.split("\t")[0]
    assert runner.invoke(args=["nko", "token", "revoke", token_id]).exit_code == 0
    assert "отозван" in runner.invoke(args=["nko", "token", "list"]).output
    assert runner.invoke(args=["nko", "token", "revoke", token_id]).exit_code != 0
    assert feed.find_token(session, secret) is None


BAD_REQUESTS = [
    "/nko/api/hsds/services?page=0", "/nko/api/hsds/services?page=-1",
    "/nko/api/hsds/services?page=x", "/nko/api/hsds/services?per_page=0",
    "/nko/api/hsds/services?per_page=501", "/nko/api/hsds/services?per_page=1e2",
    "/nko/api/hsds/services?modified_after=yesterday",
    "/nko/api/hsds/services?modified_after=2026-13-01",
    "/nko/api/hsds/services?modified_after=%00", "/nko/api/hsds/services?search=%00",
    "/nko/api/hsds/services?search=" + "я" * 201, "/nko/api/hsds/services?format=xml",
    "/nko/api/hsds/services?minimal=maybe", "/nko/api/hsds/services?organization_id=42",
    "/nko/api/hsds/programs?organization_id=%27;drop", "/nko/api/hsds/organizations?page=99999999",
    "/nko/api/hsds/taxonomy_terms?top_only=2", "/nko/api/v1/changes?after=%F0%9F%98%80",
    "/nko/api/v1/changes?limit=%EF%BC%95",
]
ODD_BUT_FINE = [
    "/nko/api/hsds/services?search=%25%25%5F%5C", "/nko/api/hsds/services?search=%27%22%3B--",
    "/nko/api/hsds/services?taxonomy_term_id=%00x", "/nko/api/hsds/services?page=2&page=x",
    "/nko/api/hsds/services?modified_after=2026-01-01T00:00:00+05:00",
    "/nko/api/hsds/services/%F0%9F%98%80", "/nko/api/hsds/taxonomy_terms/%00",
    "/nko/api/hsds/services?unknown=1", "/nko/api/v1/changes?after=",
    "/nko/api/hsds/services?search=" + "%E2%80%AE" * 10,
]


def test_bad_input_never_gives_500(session, client, app):
    app.extensions["nko_openness"].config["NKO_API_RATE_LIMIT"] = "10000/minute"
    make_service(session, make_org(session), name="Услуга")
    for url in BAD_REQUESTS:
        response = client.get(url)
        assert response.status_code == 400, (url, response.status_code)
        assert response.get_json()["error"]["message"], url
    for url in ODD_BUT_FINE:
        response = client.get(url)
        assert response.status_code in (200, 400, 404), (url, response.status_code)
        assert response.mimetype == "application/json", url
