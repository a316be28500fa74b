"""Writes a survey tool's export of a business that is not the sample one, with the
mapping and the study that read it (run once; outputs committed).

    .venv/bin/python tests/data/make_survey_tool_export.py

The business is a fictional rail carrier. Its survey tool exports what such tools do:
one CSV in cp1251 with ``;``, Russian question texts as headers, a 1–11 "would you
recommend us" question, 16 satisfaction items on 0–100 sliders with unanswered cells
(and "Не пользовался" for the on-board food), the travel class and loyalty tier as
Russian words, a free-text comment and a column nobody needs; no answer id, no client,
no channel, no survey column. Rows run from April to September 2026 (2026Q2 and Q3).

Outputs (beside this script):

- ``survey_tool_export.csv``: the export;
- ``survey_tool_mapping.yml``: the mapping in its full form (:func:`cxlab.io.read_mapping`);
- ``survey_tool_study.yml``: the carrier's study (:mod:`cxlab.study`).

The answers are drawn from one latent satisfaction per passenger, so the items and the
recommendation go together (driver analysis has something to find). Nothing here is
computed by cxlab.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
EXPORT = HERE / "survey_tool_export.csv"
MAPPING_FILE = HERE / "survey_tool_mapping.yml"
STUDY_FILE = HERE / "survey_tool_study.yml"
ENCODING = "cp1251"
SEP = ";"
ROWS = 400
SEED = 20260701

RECOMMEND = ("Насколько вероятно, что вы порекомендуете нашу компанию друзьям и знакомым? "
             "(1 — точно нет, 11 — точно да)")
DATE = "Дата и время заполнения"
CLASS = "Класс обслуживания"
TIER = "Уровень в программе лояльности"
COMMENT = "Что нам стоит улучшить?"
SOURCE = "Источник перехода"  # utm source: nobody maps it

#: factor id → the export's header (a 0–100 slider each)
ITEMS = {
    "booking": "Удобство покупки билета",
    "price": "Соответствие цены качеству поездки",
    "punctuality": "Пунктуальность поезда",
    "station": "Комфорт на вокзале",
    "boarding": "Организация посадки",
    "staff": "Вежливость проводников",
    "cleanliness": "Чистота в вагоне",
    "toilets": "Чистота туалетов",
    "seats": "Удобство кресла или полки",
    "temperature": "Температура в вагоне",
    "noise": "Тишина в вагоне",
    "wifi": "Качество Wi-Fi",
    "food": "Питание в поезде",
    "information": "Информирование в пути",
    "luggage": "Место для багажа",
    "arrival": "Выход на станции прибытия",
}
#: the export's words for the segments → our codes
CLASSES = {"Эконом": "economy", "Комфорт": "comfort", "Бизнес": "business"}
TIERS = {"Базовый": "basic", "Серебряный": "silver", "Золотой": "gold"}
NOT_USED = "Не пользовался"  # the food item's "did not use it": not an answer

STUDY = {
    "name": "Северный экспресс",
    "language": "ru",
    "timezone": "Europe/Moscow",
    "min_n": 30,
    "channels": {"web": {"ru": "Сайт", "en": "Website", "kind": "written"},
                 "app": {"ru": "Приложение", "en": "App", "kind": "written"}},
    "surveys": {"after_trip": {"ru": "После поездки", "en": "After the trip"}},
    "segments": {
        "travel_class": {"ru": "Класс", "en": "Travel class",
                         "values": {code: {"ru": word, "en": code.title()}
                                    for word, code in CLASSES.items()}},
        "tier": {"ru": "Уровень лояльности", "en": "Loyalty tier",
                 "values": {code: {"ru": word, "en": code.title()}
                            for word, code in TIERS.items()}},
    },
    "factors": {fid: {"scale": "0-100", "question": {"ru": header}}
                for fid, header in ITEMS.items()},
    "calendar": {"country": "RU"},
}

MAPPING = {
    "table": "responses",
    "columns": {DATE: "submitted_at", RECOMMEND: "nps", CLASS: "travel_class",
                TIER: "tier", COMMENT: "comment",
                **{header: f"f_{fid}" for fid, header in ITEMS.items()}},
    "constants": {"channel": "web", "survey": "after_trip"},
    "values": {"travel_class": CLASSES, "tier": TIERS, "f_food": {NOT_USED: None}},
    "scale": {"nps": "1-11"},
    "ids": {"response_id": "generate"},
}

COMMENTS = ["", "", "", "Всё хорошо, спасибо", "Кондиционер не работал; было душно",
            "Опоздали на 40 минут", "Проводник — молодец!", "Дорого", "Wi-Fi не ловил"]


def header() -> list[str]:
    return [DATE, RECOMMEND, CLASS, TIER, *ITEMS.values(), COMMENT, SOURCE]


def rows(n: int = ROWS, seed: int = SEED) -> list[list[str]]:
    """The export's data rows as text, in the order the tool writes them (by time)."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2026-04-01T07:00:00")
    seconds = np.sort(rng.integers(0, 183 * 86400, n))  # April … September
    latent = rng.normal(0, 1, n)
    weights = np.linspace(0.9, 0.2, len(ITEMS))  # earlier items matter more
    out = []
    for i in range(n):
        when = (start + np.timedelta64(int(seconds[i]), "s")).astype(object)
        score = int(np.clip(np.rint(7.2 + 2.2 * latent[i] + rng.normal(0, 1.2)), 0, 10))
        cells = [when.strftime("%d.%m.%Y %H:%M:%S"), str(score + 1),  # 1–11 on the form
                 str(rng.choice(list(CLASSES), p=[0.6, 0.3, 0.1])),
                 str(rng.choice(list(TIERS), p=[0.7, 0.2, 0.1]))]
        for j, fid in enumerate(ITEMS):
            if rng.random() < 0.12:
                cells.append("")  # slider left untouched
            elif fid == "food" and rng.random() < 0.2:
                cells.append(NOT_USED)
            else:
                v = 60 + 22 * (weights[j] * latent[i] + 0.6 * rng.normal())
                cells.append(str(int(np.clip(np.rint(v), 0, 100))))
        cells += [str(rng.choice(COMMENTS)), str(rng.choice(["email", "sms", "site"]))]
        out.append(cells)
    return out


def export_text(sep: str = SEP) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=sep, lineterminator="\r\n")
    w.writerow(header())
    w.writerows(rows())
    return buf.getvalue()


def main() -> None:
    import yaml

    EXPORT.write_bytes(export_text().encode(ENCODING))
    dump = dict(allow_unicode=True, sort_keys=False, width=100)
    MAPPING_FILE.write_text("# How the rail carrier's survey-tool export becomes responses "
                            "(written by make_survey_tool_export.py)\n"
                            + yaml.safe_dump(MAPPING, **dump), encoding="utf-8")
    STUDY_FILE.write_text("# A study that is not the sample business's: a rail carrier "
                          "(written by make_survey_tool_export.py)\n"
                          + yaml.safe_dump(STUDY, **dump), encoding="utf-8")


if __name__ == "__main__":
    main()
