"""Issue 3's story in a real browser: an editor of «СПОРТиЯ» discloses by keyboard, a moderator
returns and then publishes, and the public page changes only then."""

from __future__ import annotations

import re

import pdf_support
import pytest

from .keyboard import choose_option, tab_to

pytestmark = pytest.mark.browser

ORG_PAGE = "/nko/organizations/sportiya"
MISSION = "Спорт доступен каждому жителю Белогорска — от дошкольника до пенсионера."
PHONE_TYPO, PHONE = "+7 (41641) 9-30-04", "+7 (41641) 9-30-40"
OLD_PHONE = "+7 (41641) 9-21-17"
SERVICE = "Секция адаптивного спорта для взрослых"
PROJECT = "Двор без границ"
REPORT = "Годовой отчёт за 2025 год"
RETURN_COMMENT = "Телефон 9-30-04 не отвечает. Проверьте номер, пожалуйста."
# A page has at most this many stops before the field we want (the profile form is long).
STOPS = 220


# -- the editor's hands: Tab, Shift+Tab, Enter, Space and typing only ---------------------------

def follow(page, selector: str, text: str | None = None) -> None:
    """Tab to a link or button and press Enter; wait for the page it opens."""
    tab_to(page, selector, text=text, limit=STOPS)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def type_into(page, selector: str, text: str) -> None:
    """Tab to a field, select what it holds and type over it."""
    tab_to(page, selector, limit=STOPS)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def tick(page, selector: str) -> None:
    tab_to(page, selector, limit=STOPS)
    if not page.evaluate("document.activeElement.checked"):
        page.keyboard.press("Space")
    assert page.evaluate("document.activeElement.checked")


def type_date(page, selector: str, iso: str) -> None:
    """Type a date into a date field: its parts are in the order of the browser's interface
    language (дд.мм.гггг in a Russian one, mm/dd/yyyy in this headless one), so type the
    Russian order and, when the field read it otherwise, go back to its first part and retype."""
    year, month, day = iso.split("-")
    tab_to(page, selector, limit=STOPS)
    for digits in (day + month + year, month + day + year):
        page.keyboard.type(digits)
        if page.eval_on_selector(selector, "el => el.value") == iso:
            return
        while page.evaluate("s => document.activeElement.matches(s)", selector):
            page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} did not take {iso} from the keyboard")


def save_draft(page) -> None:
    # Enter in a text field would press the form's first button («Добавить строку…»).
    follow(page, "#save")
    assert "Черновик сохранён" in page.inner_text(".nko-messages")


def submit_everything(page) -> str:
    follow(page, ".nko-submit button[type=submit]")
    return page.inner_text(".nko-messages")


# -- the moderator (mouse allowed) and the public ------------------------------------------------

def log_in(page, site, username: str, password: str) -> None:
    page.goto(site.url("/login"))
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("form.login-form [type=submit]")


def open_submission(page, site, kind_label: str):
    page.goto(site.url("/nko/moderation/"))
    group = page.locator("section.nko-queue-group", has_text="СПОРТиЯ")
    kind = page.locator("td:first-child", has_text=re.compile(f"^{kind_label}$"))
    row = group.locator("tr", has=kind)
    assert row.count() == 1, page.inner_text("main")
    with page.expect_navigation():
        row.locator("a").first.click()


def changed_fields(page) -> dict[str, str]:
    """The review's table of changed fields: label -> what the moderator reads in the cell."""
    rows = page.locator("table:has(#nko-diff-caption) tbody tr")
    return {rows.nth(i).locator("th").inner_text().strip():
            rows.nth(i).locator("td").inner_text().strip() for i in range(rows.count())}


def decide(page, action: str, comment: str = "") -> str:
    form = page.locator(f"form.nko-decision-{action}")
    if comment:
        form.locator("textarea").fill(comment)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    return page.inner_text("main")


def public_text(page, site, path: str = ORG_PAGE) -> str:
    response = page.goto(site.url(path))
    assert response.status == 200, path
    return page.inner_text("main")


def assert_unchanged(public, site) -> None:
    text = public_text(public, site)
    assert OLD_PHONE in text and "Спорт доступен каждому." in text
    for new in (MISSION, PHONE_TYPO, PHONE, SERVICE, PROJECT, REPORT):
        assert new not in text, f"«{new}» is public before approval"


# -- the story ------------------------------------------------------------------------------------

def test_editor_discloses_by_keyboard_moderator_returns_then_publishes(browser, site):
    contexts = [browser.new_context(viewport={"width": 1280, "height": 900}, locale="ru-RU",
                                    java_script_enabled=javascript)
                for javascript in (False, True, True)]
    editor, moderator, public = (context.new_page() for context in contexts)
    try:
        assert_unchanged(public, site)
        edit_and_submit(editor, site)
        assert_unchanged(public, site)

        # The moderator sees exactly what changed, and returns the profile with a comment.
        log_in(moderator, site, "moderator", "moderator-demo-2023")
        open_submission(moderator, site, "Организация")
        changes = changed_fields(moderator)
        assert set(changes) == {"Миссия", "Телефон"}, changes
        assert MISSION in changes["Миссия"]
        assert OLD_PHONE in changes["Телефон"] and PHONE_TYPO in changes["Телефон"]
        assert moderator.locator("del", has_text=OLD_PHONE).count() == 1
        assert moderator.locator("ins", has_text=PHONE_TYPO).count() == 1
        assert REPORT in moderator.inner_text("section[aria-labelledby=nko-changes]")
        decide(moderator, "return", RETURN_COMMENT)
        assert_unchanged(public, site)

        fix_and_resubmit(editor, site)
        assert_unchanged(public, site)

        # The second review shows the corrected phone; approval publishes the profile.
        open_submission(moderator, site, "Организация")
        changes = changed_fields(moderator)
        assert set(changes) == {"Миссия", "Телефон"}, changes
        assert PHONE in changes["Телефон"] and PHONE_TYPO not in changes["Телефон"]
        assert RETURN_COMMENT in moderator.inner_text("section[aria-labelledby=nko-history]")
        decide(moderator, "approve")
        text = public_text(public, site)
        assert MISSION in text and PHONE in text and REPORT in text
        assert OLD_PHONE not in text and SERVICE not in text and PROJECT not in text

        # The new service and project: every field shown as it will appear, then published.
        open_submission(moderator, site, "Услуга")
        assert {"Название услуги", "Категории граждан", "Бесплатно"} <= set(
            changed_fields(moderator))
        decide(moderator, "approve")
        open_submission(moderator, site, "Проект")
        changes = changed_fields(moderator)
        assert "215" in " ".join(changes.values()) and "350" in " ".join(changes.values())
        decide(moderator, "approve")
        assert moderator.locator("section.nko-queue-group", has_text="СПОРТиЯ").count() == 0

        text = public_text(public, site)
        assert SERVICE in text and PROJECT in text
        public.click(f"main a:text-is('{PROJECT}')")
        # Money and dates come with no-break spaces (Russian format): compare words.
        project = " ".join(public.inner_text("main").split())
        assert "Участники фестивалей" in project and "215" in project
        assert "Администрация города Белогорск" in project and "350 000" in project
        assert "14 марта 2025" in project
    finally:
        for context in contexts:
            context.close()


def edit_and_submit(page, site) -> None:
    """Keyboard only, scripts off: log in, profile, a service, a project, the report, submit."""
    page.goto(site.url("/"))
    follow(page, "a[href='/login']")
    type_into(page, "#username", "editor")
    type_into(page, "#password", "editor-demo-2023")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/nko/cabinet/")
    follow(page, "main a[href$='/cabinet/sportiya/']")

    follow(page, "main a", "Изменить профиль организации")
    type_into(page, "#mission", MISSION)
    type_into(page, "#phone", PHONE_TYPO)
    save_draft(page)

    follow(page, "main a", "Добавить услугу")
    type_into(page, "#name", SERVICE)
    type_into(page, "#description", "Общая физическая подготовка и настольный теннис для "
              "взрослых с инвалидностью. Инструктор по адаптивной физкультуре.")
    tick(page, "input[name=categories][value=disabled]")
    type_into(page, "#minimum_age", "18")
    tick(page, "#is_free")
    type_into(page, "#application_process", "Позвоните в приёмную и запишитесь на первое "
              "занятие.")
    save_draft(page)

    follow(page, "main a", "Добавить проект")
    type_into(page, "#name", PROJECT)
    tab_to(page, "#project_status", limit=STOPS)
    choose_option(page, "#project_status", "active")
    type_into(page, "#goal", "Вовлечь жителей микрорайонов Белогорска в занятия спортом "
              "рядом с домом.")
    tick(page, "input[name=categories][value=residents]")
    type_into(page, "#results-0-indicator", "Участники фестивалей")
    type_into(page, "#results-0-unit", "человек")
    type_into(page, "#results-0-planned", "200")
    type_into(page, "#results-0-achieved", "215")
    type_into(page, "#fundings-0-funder", "Администрация города Белогорск")
    type_into(page, "#fundings-0-programme", "Муниципальная программа поддержки СО НКО")
    type_into(page, "#fundings-0-amount", "350 000")
    type_date(page, "#fundings-0-award_date", "2025-03-14")
    save_draft(page)

    follow(page, "main a[href$='/documents']")
    type_into(page, "#title", REPORT)
    tab_to(page, "#kind", limit=STOPS)
    choose_option(page, "#kind", "annual_report")
    type_into(page, "#year", "2025")
    # A file chooser cannot be typed into: the field is reached by keyboard, the file is given.
    tab_to(page, "#file", limit=STOPS)
    page.set_input_files("#file", files=[{"name": f"{REPORT}.pdf", "mimeType": "application/pdf",
                                          "buffer": pdf_support.clean_pdf()}])
    follow(page, "#upload")
    assert "Документ загружен" in page.inner_text(".nko-messages")
    assert REPORT in page.inner_text("main table")

    follow(page, ".nko-cabinet-nav a[href$='/cabinet/sportiya/']")
    submitted = page.locator(".nko-submit li")
    assert submitted.count() == 3, page.inner_text(".nko-submit")
    assert "Отправлено на проверку" in submit_everything(page)
    assert page.locator(".nko-submit").count() == 0


def fix_and_resubmit(page, site) -> None:
    """The editor finds the moderator's comment in the cabinet, fixes the phone and resends."""
    follow(page, ".nko-cabinet-nav a[href$='/cabinet/sportiya/']")
    assert RETURN_COMMENT in page.inner_text(".nko-moderator-comment")
    assert "возвращено" in page.inner_text(".nko-status").lower()
    follow(page, "main a", "Изменить профиль организации")
    assert page.eval_on_selector("#phone", "el => el.value") == PHONE_TYPO
    type_into(page, "#phone", PHONE)
    save_draft(page)
    assert "после доработки" in page.inner_text(".nko-submit")
    assert "Отправлено на проверку" in submit_everything(page)
