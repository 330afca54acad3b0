"""The example site's own users: Flask-Login, hashed passwords in a JSON file, a rate-limited login.

The NKO module owns no users. It asks the host for the current one (Flask-Login's
``current_user`` by default) and reads ``nko_role`` ("moderator", "admin") from it; editors
are tied to their organizations by the module's memberships. Settings:

``HOST_USERS_FILE``          the JSON user store [``<instance>/users.json``]
``HOST_LOGIN_MAX_FAILURES``  failed logins per address before a pause [``5``]
``HOST_LOGIN_WINDOW``        the pause and counting window, seconds [``300``]
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass

import click
from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, UserMixin, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import InputRequired

from nko_openness.core.i18n import N_

bp = Blueprint("auth", __name__)

# Demo accounts printed by `flask demo-accounts`; the demo is public, so are these passwords.
DEMO_EDITOR_ORGS = ("sportiya", "dobro-ryadom")
DEMO_ACCOUNTS = (
    {"username": "editor", "password": "editor-demo-2023", "name": "Редактор НКО",
     "email": "editor@sportiya.example", "nko_role": None},
    {"username": "moderator", "password": "moderator-demo-2023", "name": "Модератор раздела",
     "email": "nko@belogorsk.example", "nko_role": "moderator"},
    {"username": "admin", "password": "admin-demo-2023", "name": "Администратор сайта",
     "email": "admin@belogorsk.example", "nko_role": "admin"},
)


@dataclass
class User(UserMixin):
    id: str
    username: str
    name: str
    password_hash: str
    email: str | None = None
    nko_role: str | None = None


class UserStore:
    """Users in one JSON file, written atomically; enough for a demo and a small site."""

    def __init__(self, path: str):
        self.path = path
        self._lock = threading.Lock()

    def _read(self) -> dict[str, dict]:
        try:
            with open(self.path, encoding="utf-8") as handle:
                return json.load(handle)
        except FileNotFoundError:
            return {}

    def get(self, user_id: str) -> User | None:
        found = self._read().get(str(user_id))
        return User(**found) if found else None

    def by_username(self, username: str) -> User | None:
        wanted = (username or "").strip().lower()
        for found in self._read().values():
            if found["username"].lower() == wanted:
                return User(**found)
        return None

    def save(self, username: str, password: str, name: str, email: str | None = None,
             nko_role: str | None = None) -> User:
        """Create the user or reset their password and details (the id stays)."""
        with self._lock:
            users = self._read()
            existing = next((u for u in users.values() if u["username"] == username), None)
            user_id = existing["id"] if existing else str(max(map(int, users), default=0) + 1)
            user = User(id=user_id, username=username, name=name, email=email,
                        nko_role=nko_role, password_hash=generate_password_hash(password))
            users[user_id] = asdict(user)
            os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
            partial = self.path + ".part"
            with open(partial, "w", encoding="utf-8") as handle:
                json.dump(users, handle, ensure_ascii=False, indent=2)
            os.replace(partial, self.path)
            return user


class LoginLimiter:
    """Failed logins per client address in a sliding window (one process; a farm of workers
    would keep the counts in Redis or the database instead)."""

    def __init__(self):
        self._failures: dict[str, deque] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, window: float) -> deque:
        now = time.monotonic()
        failures = self._failures.setdefault(key, deque())
        while failures and now - failures[0] > window:
            failures.popleft()
        return failures

    def retry_after(self, key: str, limit: int, window: float) -> int:
        """Seconds until ``key`` may try again; 0 when it may now."""
        with self._lock:
            failures = self._recent(key, window)
            if len(failures) < limit:
                return 0
            return max(1, int(window - (time.monotonic() - failures[0])) + 1)

    def failed(self, key: str, window: float) -> None:
        with self._lock:
            self._recent(key, window).append(time.monotonic())

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)


class LoginForm(FlaskForm):
    # The site's own strings: its catalogue (translations/, domain "messages"), not the module's.
    username = StringField(_l("Имя пользователя"), [InputRequired(_l("Введите имя пользователя."))],
                           render_kw={"autocomplete": "username"})
    password = PasswordField(_l("Пароль"), [InputRequired(_l("Введите пароль."))],
                             render_kw={"autocomplete": "current-password"})
    submit = SubmitField(_l("Войти"))


def store() -> UserStore:
    return current_app.extensions["host_users"]


def _safe_next(target: str | None) -> str:
    # Only a path on this site: never an open redirect to another host.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("nko_cabinet.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    status = 200
    if request.method == "POST":
        limiter: LoginLimiter = current_app.extensions["host_login_limiter"]
        key = request.remote_addr or "unknown"
        window = current_app.config["HOST_LOGIN_WINDOW"]
        wait = limiter.retry_after(key, current_app.config["HOST_LOGIN_MAX_FAILURES"], window)
        if wait:
            response = current_app.make_response((render_template(
                "login.html", form=form, wait_minutes=(wait + 59) // 60), 429))
            response.headers["Retry-After"] = str(wait)
            return response
        if form.validate():
            user = store().by_username(form.username.data)
            if user and check_password_hash(user.password_hash, form.password.data):
                limiter.succeeded(key)
                login_user(user)
                return redirect(_safe_next(request.args.get("next")))
            limiter.failed(key, window)
            form.password.errors = [_("Неверное имя пользователя или пароль.")]
        status = 422 if not form.csrf_token.errors else 400
    return render_template("login.html", form=form), status


@bp.post("/logout")
def logout():
    if not LogoutForm().validate():
        abort(400)
    logout_user()
    flash(_("Вы вышли из кабинета."))
    return redirect(url_for("index"))


class LogoutForm(FlaskForm):
    """Logging out is a POST with a CSRF token, so no other site can log a user out."""


def init_auth(app: Flask) -> None:
    app.config.setdefault("HOST_USERS_FILE", os.path.join(app.instance_path, "users.json"))
    app.config.setdefault("HOST_LOGIN_MAX_FAILURES", 5)
    app.config.setdefault("HOST_LOGIN_WINDOW", 300)
    app.extensions["host_users"] = UserStore(app.config["HOST_USERS_FILE"])
    app.extensions["host_login_limiter"] = LoginLimiter()

    manager = LoginManager(app)
    manager.login_view = "auth.login"
    # Translated when flashed, in the visitor's language; N_ only marks it for extraction.
    manager.login_message = N_("Войдите, чтобы открыть кабинет НКО.")
    manager.localize_callback = _
    manager.user_loader(lambda user_id: app.extensions["host_users"].get(user_id))
    app.register_blueprint(bp)
    app.cli.add_command(demo_accounts_command)

    @app.context_processor
    def _logout_form():
        return {"logout_form": LogoutForm}


@click.command("demo-accounts")
@with_appcontext
def demo_accounts_command():
    """Create (or reset) the demo accounts and print how to log in."""
    from nko_openness.core.db import db_session
    from nko_openness.models import Organization
    from nko_openness.publishing.permissions import grant_editor

    session = db_session()
    click.echo("Демо-учётные записи (вход: /login):")
    for account in DEMO_ACCOUNTS:
        user = store().save(account["username"], account["password"], account["name"],
                            account["email"], account["nko_role"])
        role = {"moderator": "модератор", "admin": "администратор"}.get(user.nko_role)
        if role is None:
            names = []
            for slug in DEMO_EDITOR_ORGS:
                org = session.query(Organization).filter_by(slug=slug).one_or_none()
                if org is None:
                    click.echo(f"  ! организации {slug!r} нет: сначала flask nko load-demo")
                    continue
                grant_editor(session, user.id, org)
                names.append(org.alternate_name or org.name)
            role = "редактор: " + ("; ".join(names) or "пока ни одной организации")
        click.echo(f"  {account['username']} / {account['password']}  — {role}")
    session.commit()
