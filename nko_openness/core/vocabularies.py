"""Fixed vocabularies from Russian law: legal forms, activity types, beneficiary categories."""

from __future__ import annotations

from dataclasses import dataclass

# Labels stay Russian here (exports, the search index and feeds use them as data); N_ marks
# them for the catalogue and pages show them through i18n.TranslatedLabels.
from nko_openness.core.i18n import N_

# Legal forms of NKOs (Civil Code art. 123.1, 7-FZ) plus groups without legal entity status,
# which the Belogorsk roundtable explicitly included.
LEGAL_FORMS: dict[str, str] = {
    "ano": N_("Автономная некоммерческая организация (АНО)"),
    "public_organization": N_("Общественная организация"),
    "public_movement": N_("Общественное движение"),
    "foundation": N_("Фонд"),
    "association": N_("Ассоциация (союз)"),
    "nonprofit_partnership": N_("Некоммерческое партнёрство"),
    "private_institution": N_("Частное учреждение"),
    "religious_organization": N_("Религиозная организация"),
    "cossack_society": N_("Казачье общество"),
    "indigenous_community": N_("Община коренных малочисленных народов"),
    "tos": N_("Территориальное общественное самоуправление (ТОС)"),
    "informal_group": N_("Объединение без образования юридического лица"),
}

# Legal forms that have no state registration and so no ИНН/ОГРН.
FORMS_WITHOUT_LEGAL_ENTITY = frozenset({"informal_group"})

# Activity types of socially oriented NKOs, 7-FZ art. 31.1 part 1 (wording shortened).
ACTIVITY_TYPES: dict[str, str] = {
    "social_support": N_("Социальное обслуживание, социальная поддержка и защита граждан"),
    "disaster_preparedness": N_("Подготовка населения к преодолению последствий катастроф"),
    "disaster_relief": N_("Помощь пострадавшим от бедствий и конфликтов, беженцам и переселенцам"),
    "environment": N_("Охрана окружающей среды и защита животных"),
    "heritage": N_("Сохранение объектов культурного наследия и мест захоронений"),
    "legal_aid": N_("Бесплатная юридическая помощь, правовое просвещение, защита прав человека"),
    "prevention": N_("Профилактика социально опасных форм поведения граждан"),
    "charity_volunteering": N_("Благотворительность и добровольчество (волонтёрство)"),
    "education_culture_health": N_(
        "Образование, просвещение, наука, культура, искусство, здравоохранение"
    ),
    "sport_healthy_lifestyle": N_("Физическая культура, спорт, здоровый образ жизни"),
    "anti_corruption": N_("Формирование нетерпимости к коррупционному поведению"),
    "interethnic": N_(
        "Межнациональное сотрудничество, сохранение культуры и языков народов России"
    ),
    "patriotic": N_("Патриотическое, в том числе военно-патриотическое, воспитание"),
    "search_work": N_("Поисковая работа по выявлению воинских захоронений"),
    "fire_rescue": N_("Профилактика и тушение пожаров, аварийно-спасательные работы"),
    "migrant_integration": N_("Социальная и культурная адаптация и интеграция мигрантов"),
    "addiction_rehabilitation": N_(
        "Медицинская и социальная реабилитация лиц, потреблявших наркотики"
    ),
    "labour_mobility": N_("Содействие повышению мобильности трудовых ресурсов"),
    "memory_repressions": N_("Увековечение памяти жертв политических репрессий"),
    "svo_support": N_("Поддержка участников специальной военной операции и членов их семей"),
}

PROJECT_STATUSES: dict[str, str] = {
    "planned": N_("Планируется"),
    "active": N_("Реализуется"),
    "completed": N_("Завершён"),
}

# HSDS 3.1 service.status values, with Russian labels.
SERVICE_STATUSES: dict[str, str] = {
    "active": N_("Оказывается"),
    "inactive": N_("Временно не оказывается"),
    "defunct": N_("Прекращена"),
    "temporarily closed": N_("Приостановлена"),
}

DOCUMENT_KINDS: dict[str, str] = {
    "charter": N_("Устав"),
    "annual_report": N_("Годовой отчёт"),
    "minjust_report": N_("Отчёт в Минюст России"),
    "other": N_("Другой документ"),
}


@dataclass(frozen=True)
class CategorySeed:
    slug: str
    name: str
    name_en: str
    parent: str | None = None
    source: str = "target_group"


# Beneficiary categories: the usual target groups (Presidential Grants Fund practice) and the
# circumstances of 442-FZ art. 15 under which a citizen is recognised as needing social services.
BENEFICIARY_CATEGORIES: tuple[CategorySeed, ...] = (
    CategorySeed("children", "Дети", "Children"),
    CategorySeed("orphans", "Дети-сироты и дети, оставшиеся без попечения родителей",
                 "Orphans and children without parental care", "children"),
    CategorySeed("children-disabilities", "Дети с ограниченными возможностями здоровья",
                 "Children with disabilities", "children"),
    CategorySeed("schoolchildren", "Школьники", "Schoolchildren", "children"),
    CategorySeed("youth", "Молодёжь", "Young people"),
    CategorySeed("students", "Студенты", "Students", "youth"),
    CategorySeed("families", "Семьи с детьми", "Families with children"),
    CategorySeed("large-families", "Многодетные семьи", "Large families", "families"),
    CategorySeed("single-parent-families", "Неполные семьи", "Single-parent families",
                 "families"),
    CategorySeed("elderly", "Пожилые граждане", "Older people"),
    CategorySeed("disabled", "Люди с инвалидностью", "People with disabilities"),
    CategorySeed("veterans", "Ветераны", "Veterans"),
    CategorySeed("svo-participants", "Участники СВО и члены их семей",
                 "Special military operation participants and their families", "veterans"),
    CategorySeed("addiction", "Люди с зависимостями", "People with addictions"),
    CategorySeed("migrants", "Мигранты", "Migrants"),
    CategorySeed("former-prisoners", "Освободившиеся из мест лишения свободы",
                 "People released from prison"),
    CategorySeed("unemployed", "Безработные граждане", "Unemployed people"),
    CategorySeed("nko-and-volunteers", "НКО и добровольцы", "NKOs and volunteers"),
    CategorySeed("residents", "Жители города в целом", "All residents"),
    CategorySeed("difficult-situation", "Граждане в трудной жизненной ситуации (442-ФЗ, ст. 15)",
                 "Citizens in difficult circumstances (442-FZ art. 15)", None, "442-FZ"),
    CategorySeed("self-care-loss", "Утрата способности к самообслуживанию",
                 "Loss of the ability to care for oneself", "difficult-situation", "442-FZ"),
    CategorySeed("disabled-in-family", "Наличие в семье инвалида, нуждающегося в уходе",
                 "A disabled family member needing care", "difficult-situation", "442-FZ"),
    CategorySeed("child-adaptation", "Ребёнок, испытывающий трудности в социальной адаптации",
                 "A child with social adaptation difficulties", "difficult-situation", "442-FZ"),
    CategorySeed("family-conflict", "Внутрисемейный конфликт, насилие в семье",
                 "Family conflict or domestic violence", "difficult-situation", "442-FZ"),
    CategorySeed("homeless", "Отсутствие определённого места жительства",
                 "Homelessness", "difficult-situation", "442-FZ"),
    CategorySeed("no-income", "Отсутствие работы и средств к существованию",
                 "No work and no means of subsistence", "difficult-situation", "442-FZ"),
)
