"""Exports shaped like other teams' tools, for the tests that use cxlab as a new team would.

- :func:`survey_tool_export`: one CSV as an online survey tool writes it (cp1251, ``;``,
  Russian question headers, dd.mm.yyyy hh:mm, a 1–11 recommendation question, 18 items on
  0–100 sliders with empty answers, two segment columns, a comment, and no response id,
  client id, channel or survey column), with the study and mapping an airline's CX analyst
  would write for it. Planted: business class is more loyal than economy; three items
  (crew, punctuality, seat) drive the recommendation score.
- :func:`retailer_exports`: a retailer's survey (e-mail, SMS, app; stores as a free-coded
  segment; items on 1–7) and its incident desk's complaints, with their study.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

#: Item header → factor id (the airline's questionnaire, 0–100 sliders).
AIRLINE_ITEMS = {
    "Чистота салона": "cabin_clean",
    "Вежливость экипажа": "crew",
    "Питание на борту": "meals",
    "Пунктуальность рейса": "punctuality",
    "Удобство кресла": "seat",
    "Онлайн-регистрация": "checkin",
    "Посадка в самолёт": "boarding",
    "Выдача багажа": "baggage",
    "Развлечения на борту": "entertainment",
    "Wi-Fi на борту": "wifi",
    "Цена билета": "price",
    "Сайт авиакомпании": "website",
    "Мобильное приложение": "app",
    "Работа колл-центра": "call_centre",
    "Программа лояльности": "loyalty_programme",
    "Информирование о задержках": "delay_info",
    "Трансфер до самолёта": "transfer",
    "Бизнес-зал": "lounge",
}
#: The three planted drivers (by far the largest weights).
AIRLINE_DRIVERS = ("crew", "punctuality", "seat")
NPS_HEADER = "Насколько вероятно, что вы порекомендуете нас друзьям? (1 — точно нет, 11 — точно да)"
CLASS_HEADER = "Класс обслуживания"
TIER_HEADER = "Статус в программе лояльности"
DATE_HEADER = "Дата заполнения"
CLASSES = {"Эконом": "economy", "Комфорт": "comfort", "Бизнес": "business"}
TIERS = {"Базовый": "basic", "Серебряный": "silver", "Золотой": "gold"}


def survey_tool_export(path: Path, seed: int = 7, per_quarter: int = 800) -> Path:
    """Write the survey tool's CSV (2025Q4–2026Q3, the last answer on 2026-09-30)."""
    rng = np.random.default_rng(seed)
    quarters = pd.period_range("2025Q4", "2026Q3", freq="Q")
    rows = []
    items = list(AIRLINE_ITEMS.values())
    weights = np.array([3.0 if f in AIRLINE_DRIVERS else 0.4 for f in items])
    for q in quarters:
        start = q.start_time
        days = (q.end_time.normalize() - start).days + 1
        for _ in range(per_quarter):
            cls = rng.choice(list(CLASSES), p=[0.7, 0.2, 0.1])
            tier = rng.choice(list(TIERS), p=[0.6, 0.3, 0.1])
            general = rng.normal()
            lift = {"Эконом": -0.3, "Комфорт": 0.2, "Бизнес": 0.9}[cls]
            z = 0.5 * general + lift + rng.normal(size=len(items))
            sliders = np.clip(np.round(60 + 18 * z), 0, 100)
            latent = (weights @ z) / weights.sum() * 2.2 + rng.normal(scale=0.6)
            score = int(np.clip(np.round(8.2 + 2.2 * latent), 1, 11))
            when = start + pd.Timedelta(days=int(rng.integers(days)),
                                        minutes=int(rng.integers(8 * 60, 22 * 60)))
            row = {DATE_HEADER: when.strftime("%d.%m.%Y %H:%M"), NPS_HEADER: str(score),
                   CLASS_HEADER: cls, TIER_HEADER: tier}
            for (header, fid), v in zip(AIRLINE_ITEMS.items(), sliders):
                missing = 0.35 if fid == "lounge" else 0.03
                row[header] = "" if rng.random() < missing else str(int(v))
            row["Комментарий"] = rng.choice(["", "", "Всё хорошо", "Задержали рейс на час"])
            rows.append(row)
    header = [DATE_HEADER, NPS_HEADER, CLASS_HEADER, TIER_HEADER, *AIRLINE_ITEMS, "Комментарий"]
    with open(path, "w", encoding="cp1251", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=header, delimiter=";")
        w.writeheader()
        w.writerows(rows)
    return path


def airline_study(path: Path) -> Path:
    """The airline's study file (YAML, as an analyst writes it)."""
    factors = "\n".join(
        f"  {fid}: {{scale: 0-100, label: {{ru: \"{header}\", en: \"{fid.replace('_', ' ').capitalize()}\"}}, "
        f"question: {{ru: \"Оцените: {header.lower()}\"}}}}"
        for header, fid in AIRLINE_ITEMS.items())
    path.write_text(f"""name: Авиакомпания
language: ru
timezone: Europe/Moscow
min_n: 30
channels:
  web: {{ru: Онлайн-опрос, en: Online survey, kind: written}}
surveys:
  after_flight: {{ru: После полёта, en: After the flight}}
segments:
  travel_class:
    ru: Класс обслуживания
    en: Travel class
    values:
      economy: {{ru: Эконом, en: Economy}}
      comfort: {{ru: Комфорт, en: Comfort}}
      business: {{ru: Бизнес, en: Business}}
  loyalty_tier:
    ru: Статус
    en: Loyalty tier
    values: [basic, silver, gold]
factors:
{factors}
targets:
  2026Q3:
    - {{metric: nps, channel: web, at_least: -30}}
    - {{metric: nps, channel: web, travel_class: business, at_least: 90}}
""", encoding="utf-8")
    return path


def airline_mapping(path: Path) -> Path:
    """The mapping of the survey tool's export (the new form)."""
    cols = "\n".join(f'  "{h}": f_{fid}' for h, fid in AIRLINE_ITEMS.items())
    classes = ", ".join(f'"{k}": {v}' for k, v in CLASSES.items())
    tiers = ", ".join(f'"{k}": {v}' for k, v in TIERS.items())
    path.write_text(f"""table: responses
columns:
  "{DATE_HEADER}": submitted_at
  "{NPS_HEADER}": nps
  "{CLASS_HEADER}": travel_class
  "{TIER_HEADER}": loyalty_tier
  "Комментарий": comment
{cols}
constants: {{channel: web, survey: after_flight}}
values:
  travel_class: {{{classes}}}
  loyalty_tier: {{{tiers}}}
scale: {{nps: 1-11}}
ids: {{response_id: generate}}
""", encoding="utf-8")
    return path


def read_export(path: Path) -> list[dict]:
    """The export read back independently of cxlab (the csv module)."""
    with open(path, encoding="cp1251", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=";"))


# ------------------------------------------------------------------------- a retailer

RETAIL_STORES = ("msk_01", "msk_02", "spb_01", "ekb_01")


def retailer_exports(folder: Path, seed: int = 11) -> dict[str, Path]:
    """A retailer's responses (1–7 items, stores, channels email/sms/app) and complaints
    (channels hotline/store/email/app, importance p1–p3), 2025Q4–2026Q3, and its study."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    resp, comp = [], []
    for i in range(2400):
        when = pd.Timestamp("2025-10-01") + pd.Timedelta(minutes=int(rng.integers(365 * 24 * 60)))
        if when >= pd.Timestamp("2026-10-01"):
            when = pd.Timestamp("2026-09-30 12:00")
        staff, queue, price = np.clip(np.round(4.5 + 1.3 * rng.normal(size=3)), 1, 7)
        nps = int(np.clip(np.round(3 + 0.6 * staff + 0.5 * queue + 0.2 * price
                                   + rng.normal(scale=1.5)), 0, 10))
        resp.append({"response_id": f"S{i:05d}", "client_id": f"K{rng.integers(1500):04d}",
                     "submitted_at": when.strftime("%Y-%m-%d %H:%M"),
                     "channel": rng.choice(["email", "sms", "app"], p=[0.5, 0.2, 0.3]),
                     "store": rng.choice(RETAIL_STORES), "nps": nps,
                     "f_staff": int(staff), "f_queue": int(queue), "f_price": int(price)})
    for i in range(160):
        when = pd.Timestamp("2025-10-01") + pd.Timedelta(minutes=int(rng.integers(360 * 24 * 60)))
        comp.append({"complaint_id": f"INC{i:04d}", "received_at": when.strftime("%Y-%m-%d %H:%M"),
                     "channel": rng.choice(["hotline", "in_store", "email", "app"]),
                     "origin": "client", "category": rng.choice(["Очередь", "Качество товара", "Цена"]),
                     "importance": rng.choice(["p1", "p2", "p3"], p=[0.1, 0.3, 0.6]),
                     "justified": rng.choice(["да", "нет"]),
                     "resolved_at": (when + pd.Timedelta(hours=int(rng.integers(2, 96)))).strftime("%Y-%m-%d %H:%M")})
    paths = {"responses": folder / "responses.csv", "complaints": folder / "complaints.csv",
             "study": folder / "study.yml"}
    pd.DataFrame(resp).to_csv(paths["responses"], index=False)
    pd.DataFrame(comp).to_csv(paths["complaints"], index=False)
    paths["study"].write_text("""name: Retail chain
language: en
timezone: Europe/Berlin
min_n: 30
channels:
  email:   {en: E-mail survey, ru: Опрос по почте, kind: written}
  sms:     {en: SMS survey, ru: Опрос по SMS, kind: written}
  app:     {en: App, ru: Приложение, kind: written}
  hotline: {en: Hotline, ru: Горячая линия, kind: oral}
  in_store: {en: In store, ru: В магазине, kind: oral}
segments:
  store: {en: Store, ru: Магазин}
codes:
  importance:
    p1: {en: P1 (stops a store), ru: P1 (магазин стоит)}
    p2: {en: P2, ru: P2}
    p3: {en: P3, ru: P3}
  origin:
    client: {en: Customer, ru: Покупатель}
    staff: {en: Staff, ru: Сотрудник}
factors:
  staff: {scale: 1-7, label: {en: Friendly staff, ru: Приветливость персонала}}
  queue: {scale: 1-7, label: {en: Short queue, ru: Короткая очередь}}
  price: {scale: 1-7, label: {en: Prices, ru: Цены}}
calendar: {country: DE, days: mon-sat, hours: "08:00-20:00"}
targets:
  2026Q3:
    - {metric: nps, channel: email, at_least: 10}
""", encoding="utf-8")
    return paths
