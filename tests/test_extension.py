"""The extension's contract with a host app (the Flask-SQLAlchemy shape)."""

from __future__ import annotations

import pytest
from conftest import make_app
from factories import make_org
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from nko_openness import NkoOpenness, get_state
from nko_openness.models import Base, Organization


def test_defaults_are_set_once_on_app_config(tmp_path):
    app = make_app("sqlite://", tmp_path)
    assert app.config["NKO_URL_PREFIX"] == "/nko"
    assert app.config["NKO_BASE_TEMPLATE"] == "nko_openness/base.html"
    assert app.config["NKO_PLUGINS"] == []
    assert get_state(app).config["NKO_SITE_NAME"] == app.config["NKO_SITE_NAME"]


def test_every_config_key_is_documented_in_the_class_docstring(tmp_path):
    app = make_app("sqlite://", tmp_path)
    keys = [key for key in app.config if key.startswith("NKO_")]
    assert keys
    for key in keys:
        assert f"``{key}``" in NkoOpenness.__doc__, key


def test_registering_twice_raises_a_clear_error(tmp_path):
    app = make_app("sqlite://", tmp_path)
    with pytest.raises(RuntimeError, match="already registered"):
        NkoOpenness(app)


def test_init_app_later_and_custom_prefix(tmp_path):
    ext = NkoOpenness()
    app = Flask("later", instance_path=str(tmp_path))
    app.config.update(NKO_URL_PREFIX="/sections/nko", NKO_DATABASE_URL="sqlite://")
    ext.init_app(app)
    assert any(r.rule == "/sections/nko/" for r in app.url_map.iter_rules())


def test_two_apps_in_one_process_do_not_share_state(tmp_path):
    ext = NkoOpenness()
    apps = []
    for name in ("one", "two"):
        app = Flask(name, instance_path=str(tmp_path / name))
        app.config.update(NKO_DATABASE_URL=f"sqlite:///{tmp_path / name}.sqlite3",
                          NKO_SITE_NAME=name)
        ext.init_app(app)
        Base.metadata.create_all(get_state(app).db.engine)
        apps.append(app)
    one, two = (get_state(a) for a in apps)
    assert one is not two and one.pm is not two.pm and one.db.engine is not two.db.engine
    with apps[0].app_context():
        make_org(one.db.session)
    with apps[1].app_context():
        assert two.db.session.query(Organization).count() == 0
    with apps[0].app_context():
        assert one.db.session.query(Organization).count() == 1


def test_get_state_explains_a_missing_extension():
    with pytest.raises(RuntimeError, match="not initialised"):
        get_state(Flask("bare"))


def test_shares_the_hosts_flask_sqlalchemy_engine_and_session(database_url, tmp_path):
    app = Flask("host_with_fsa", instance_path=str(tmp_path))
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url
    db = SQLAlchemy()
    db.init_app(app)
    NkoOpenness(app)
    state = get_state(app)
    with app.app_context():
        assert state.db.engine is db.engine
        assert state.db.session is db.session()
        Base.metadata.create_all(db.engine)
        org = make_org(state.db.session, name="Общая сессия")
        # The host's own session sees the row: one engine, one transaction scope.
        assert db.session.get(Organization, org.id).name == "Общая сессия"
        db.session.remove()
        Base.metadata.drop_all(db.engine)
