"""schema.org JSON-LD and link-preview tags on public pages, parsed back as a crawler would."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal

import extruct
import pytest
from factories import make_org, make_project, make_service
from pyld import jsonld

from nko_openness.catalog.structured_data import dumps_for_script, plain_text
from nko_openness.models import ProjectFunding

# The schema.org properties each type used here may carry (from the schema.org vocabulary,
# inherited ones included), so a misspelt or misplaced property fails the test.
THING = {"@context", "@type", "@id", "name", "alternateName", "description", "url", "sameAs",
         "identifier"}
ORGANIZATION = THING | {"legalName", "taxID", "foundingDate", "dissolutionDate", "address",
                        "telephone", "email", "knowsAbout", "parentOrganization", "areaServed",
                        "keywords", "funder", "funding"}
ALLOWED = {
    "NGO": ORGANIZATION,
    "Organization": ORGANIZATION,
    "Project": ORGANIZATION,
    "Service": THING | {"provider", "audience", "areaServed", "offers", "availableChannel",
                        "serviceType"},
    "PeopleAudience": THING | {"audienceType", "suggestedMinAge", "suggestedMaxAge"},
    "Offer": THING | {"price", "priceCurrency"},
    "ServiceChannel": THING | {"serviceUrl", "servicePhone", "serviceLocation"},
    "ContactPoint": THING | {"telephone", "email"},
    "Place": THING | {"address"},
    "PostalAddress": THING | {"streetAddress", "addressLocality", "addressCountry"},
    "PropertyValue": THING | {"propertyID", "value"},
    "MonetaryGrant": THING | {"funder", "amount"},
    "MonetaryAmount": THING | {"value", "currency"},
}


def check_schema(node, path="$"):
    if isinstance(node, list):
        for i, item in enumerate(node):
            check_schema(item, f"{path}[{i}]")
    elif isinstance(node, dict):
        kind = node.get("@type")
        assert kind in ALLOWED, f"{path}: unexpected type {kind!r}"
        unknown = set(node) - ALLOWED[kind]
        assert not unknown, f"{path} ({kind}): not schema.org properties here: {unknown}"
        for key, value in node.items():
            if isinstance(value, dict | list):
                check_schema(value, f"{path}.{key}")


def schema_loader(url, options=None):
    # No network in tests: the schema.org context reduced to its vocabulary mapping.
    assert url.rstrip("/") in ("https://schema.org", "http://schema.org"), url
    return {"contextUrl": None, "documentUrl": url,
            "document": {"@context": {"@vocab": "https://schema.org/"}}}


def extract(client, path):
    response = client.get(path)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    data = extruct.extract(html, base_url=f"http://localhost{path}",
                           syntaxes=["json-ld", "opengraph"], uniform=True)
    return html, data


def the_jsonld(data) -> dict:
    assert len(data["json-ld"]) == 1
    item = data["json-ld"][0]
    check_schema(item)
    expanded = jsonld.expand(item, {"documentLoader": schema_loader})
    assert expanded and expanded[0]["@type"] == [f"https://schema.org/{item['@type']}"]
    return item


def og(data) -> dict:
    return {k: v for k, v in data["opengraph"][0].items() if k != "@context"}


def meta(html, name) -> str | None:
    found = re.search(rf'<meta (?:name|property)="{re.escape(name)}" content="([^"]*)"', html)
    return found.group(1) if found else None


@pytest.fixture
def world(session):
    org = make_org(session, name="АРСОО «СПОРТиЯ»", slug="sportiya", alternate_name="СПОРТиЯ",
                   categories=["youth"], activities=["sport_healthy_lifestyle"],
                   description="<p>Спорт <strong>для всех</strong> жителей Белогорска</p>",
                   website="https://sportiya.example.ru", phone="+7 (41641) 9-21-17",
                   address="ул. Партизанская, д. 41", year_incorporated=2016)
    service = make_service(session, org, name="Скандинавская ходьба", categories=["elderly"],
                           minimum_age=55, service_area="Белогорск", is_free=True,
                           eligibility_description="Жители старше 55 лет")
    project = make_project(session, org, name="Стартуют все", categories=["elderly", "youth"],
                           geography="г. Белогорск", start_date=date(2024, 3, 1),
                           end_date=date(2024, 12, 31))
    project.fundings.append(ProjectFunding(
        position=0, funder="Фонд президентских грантов", programme="Конкурс 2024",
        amount=Decimal("499800.50"), currency="RUB", award_date=date(2024, 1, 30)))
    session.commit()
    return {"org": org, "service": service, "project": project}


def test_organization_is_an_ngo_with_ogrn_and_inn(client, world):
    org = world["org"]
    html, data = extract(client, "/nko/organizations/sportiya")
    item = the_jsonld(data)
    assert item["@type"] == "NGO"
    assert item["@id"] == "http://localhost/nko/organizations/sportiya#organization"
    assert item["name"] == "АРСОО «СПОРТиЯ»" and item["alternateName"] == "СПОРТиЯ"
    assert item["identifier"] == [
        {"@type": "PropertyValue", "propertyID": "RU-OGRN", "name": "ОГРН", "value": org.ogrn},
        {"@type": "PropertyValue", "propertyID": "RU-INN", "name": "ИНН", "value": org.inn},
    ]
    assert item["taxID"] == org.inn
    assert item["description"] == "Спорт для всех жителей Белогорска"
    assert item["sameAs"] == ["https://sportiya.example.ru"]
    assert item["address"]["addressLocality"] == "Белогорск"
    assert item["foundingDate"] == "2016"


def test_service_names_audience_area_and_provider(client, world):
    service = world["service"]
    html, data = extract(client, f"/nko/services/{service.uuid}")
    item = the_jsonld(data)
    assert item["@type"] == "Service"
    assert item["provider"]["@id"] == "http://localhost/nko/organizations/sportiya#organization"
    assert item["provider"]["@type"] == "NGO"
    assert item["audience"] == {"@type": "PeopleAudience", "audienceType": ["Пожилые граждане"],
                                "suggestedMinAge": 55,
                                "description": "Жители старше 55 лет"}
    assert item["areaServed"] == "Белогорск"
    assert item["offers"] == {"@type": "Offer", "price": 0, "priceCurrency": "RUB"}


def test_project_carries_its_grants(client, world):
    project = world["project"]
    html, data = extract(client, f"/nko/projects/{project.uuid}")
    item = the_jsonld(data)
    assert item["@type"] == "Project"
    assert item["parentOrganization"]["name"] == "АРСОО «СПОРТиЯ»"
    assert item["funder"] == [{"@type": "Organization", "name": "Фонд президентских грантов"}]
    assert item["funding"] == [{
        "@type": "MonetaryGrant", "name": "Конкурс 2024",
        "funder": {"@type": "Organization", "name": "Фонд президентских грантов"},
        "amount": {"@type": "MonetaryAmount", "value": 499800.5, "currency": "RUB"},
    }]
    assert item["keywords"] == ["Молодёжь", "Пожилые граждане"]  # vocabulary order
    assert (item["foundingDate"], item["dissolutionDate"]) == ("2024-03-01", "2024-12-31")
    assert item["areaServed"] == "г. Белогорск"


def test_list_pages_have_no_record_jsonld(client, world):
    for path in ("/nko/", "/nko/categories/", "/nko/categories/elderly"):
        html, data = extract(client, path)
        assert data["json-ld"] == [], path


def test_user_text_cannot_close_the_script(client, session):
    hostile = 'Злая НКО </script><script>alert(1)</script> & <!-- «»'
    make_org(session, name=hostile, slug="zlaya", description="<p>x</p>")
    html, data = extract(client, "/nko/organizations/zlaya")
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    assert "<" not in block and ">" not in block and "&" not in block
    assert json.loads(block)["name"] == hostile
    assert the_jsonld(data)["name"] == hostile
    assert "<script>alert(1)" not in html


def test_plain_text_keeps_words_of_adjacent_blocks_apart():
    text = plain_text("<p>Первый абзац.</p><ul><li>пункт;</li><li>ещё</li></ul>", limit=30)
    assert text == "Первый абзац. пункт; ещё"
    assert plain_text("<p>" + "слово " * 100 + "</p>", limit=30) == "слово слово слово слово слово…"


def test_dumps_for_script_escapes_line_separators():
    text = str(dumps_for_script({"a": "x\u2028y</script>"}))
    assert "\u2028" not in text and "</" not in text
    assert json.loads(text) == {"a": "x\u2028y</script>"}


def test_opengraph_card_for_an_organization(client, world):
    html, data = extract(client, "/nko/organizations/sportiya")
    tags = og(data)
    assert tags["og:title"] == "АРСОО «СПОРТиЯ»"
    assert tags["og:url"] == "http://localhost/nko/organizations/sportiya"
    assert tags["@type"] == "website"  # extruct's uniform name for og:type
    assert tags["og:locale"] == "ru_RU"
    assert tags["og:site_name"] == "Некоммерческие организации"
    assert tags["og:description"] == "Спорт для всех жителей Белогорска"
    assert meta(html, "twitter:card") == "summary"
    assert meta(html, "twitter:title") == "АРСОО «СПОРТиЯ»"
    assert '<link rel="canonical" href="http://localhost/nko/organizations/sportiya">' in html


def test_opengraph_url_keeps_the_filters_of_a_list(client, world):
    html, data = extract(client, "/nko/?category=youth")
    assert og(data)["og:url"] == "http://localhost/nko/?category=youth"
    assert "canonical" not in html


@pytest.mark.parametrize("app_config", [{"NKO_BASE_URL": "https://belogorsk.example/nko/"}])
def test_links_use_the_configured_base_url(client, world):
    service = world["service"]
    html, data = extract(client, f"/nko/services/{service.uuid}")
    assert og(data)["og:url"] == f"https://belogorsk.example/nko/services/{service.uuid}"
    item = the_jsonld(data)
    assert item["url"] == f"https://belogorsk.example/nko/services/{service.uuid}"
    assert item["provider"]["url"] == "https://belogorsk.example/nko/organizations/sportiya"
