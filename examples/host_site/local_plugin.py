"""Belogorsk's own plugin: «Микрорайон» and «День НКО» fields, the curator's contacts in the footer.

Enabled in app.py by module path (``NKO_PLUGINS``); a municipality copies this file, edits
the lists and needs no package or entry point. docs/plugins.md explains every hook.
"""

from __future__ import annotations

from nko_openness import hookimpl

# The city edits this list; codes (the first item) are stored and exported, so keep them
# once published and change only the labels.
DISTRICTS = [
    ("center", "Центральный", "Central"),
    ("north", "Северный", "North"),
    ("south", "Южный", "South"),
    ("east", "Восточный", "East"),
    ("west", "Западный", "West"),
    ("whole_city", "Весь город", "Whole city"),
]

# Example contact, replaced from the host's config (CITY_NKO_CURATOR) in production.
DEFAULT_CURATOR = {
    "department": "Отдел по работе с общественными организациями",
    "phone": "+7 (41641) 0-00-00",
    "email": "nko@belogorsk.example",
}


DISTRICT = {
    "name": "district",
    "label_ru": "Микрорайон Белогорска",
    "label_en": "Belogorsk district",
    "type": "choice",
    "choices": DISTRICTS,
    "help_ru": "Где организация или проект работает с жителями.",
    "help_en": "Where the organization or project works with residents.",
}
NKO_DAY = {
    "name": "nko_day",
    "label_ru": "Участвует в Дне НКО",
    "label_en": "Takes part in the NKO Day",
    "type": "boolean",
}


@hookimpl
def nko_extra_fields(entity):
    # Organizations get the district too, so the public catalog can be filtered by it.
    return {"organization": [DISTRICT], "project": [DISTRICT, NKO_DAY]}.get(entity)


@hookimpl
def nko_page_context(app):
    # On every page of the NKO section; the layout shows it in the footer.
    return {"city_nko_curator": app.config.get("CITY_NKO_CURATOR", DEFAULT_CURATOR)}
