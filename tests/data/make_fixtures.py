"""Writes the small hand-made export files the io tests read (run once; outputs committed).

    .venv/bin/python tests/data/make_fixtures.py

The rows are the same five survey answers in every format, so a test can compare what
each format reads against :data:`EXPECTED` (written out by hand here, not computed).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent

# What a Russian survey tool exports: cp1251, ';', dd.mm.yyyy dates, decimal commas,
# да/нет, codes in mixed case, a blank line, a Russian comment.
RU_CSV = (
    "response_id;client_id;submitted_at;channel;survey;nps;recommend;csat;f_safety;f_price_value;comment\r\n"
    "R001;C01;01.07.2026 10:30;phone;periodic;9;да;4,0;5;4;Всё понравилось, спасибо!\r\n"
    "R002;C02;15.08.2026;Web;periodic;6;нет;2;;3;\r\n"
    "\r\n"
    "R003;C03;30.09.2026 23:59;messenger;after_camp;10;;5;5;;«Лагерь — супер»\r\n"
    "R004;C04;02.10.2026;phone;lapsed;0;нет;1;1;1;Переехали\r\n"
    "R005;C05;05.10.2026;web;first_lesson;;да;;;;\r\n"
)

# A file with exactly three different problems: a score out of range (data row 2),
# a channel that is not one of ours (row 3) and an impossible date (row 5).
BAD_CSV = (
    "response_id,client_id,submitted_at,channel,survey,nps\n"
    "R101,C01,2026-07-01,phone,periodic,9\n"
    "R102,C02,2026-07-02,web,periodic,11\n"
    "R103,C03,2026-07-03,fax,periodic,7\n"
    "R104,C04,2026-07-04,web,periodic,8\n"
    "R105,C05,31.02.2026,web,periodic,5\n"
)

# An export with its own headers and a 1–11 scale, read with mapping.yml and scale="1-11".
FOREIGN_CSV = (
    "Номер анкеты;Клиент;Дата;Канал;Опрос;  ОЦЕНКА \n"
    "A1;C01;01.07.2026;phone;periodic;11\n"
    "A2;C02;02.07.2026;web;periodic;1\n"
    "A3;C03;03.07.2026;web;periodic;8\n"
)
MAPPING_YML = (
    "# export header: cxlab column (headers match regardless of case and spaces)\n"
    "Номер анкеты: response_id\n"
    "Клиент: client_id\n"
    "Дата: submitted_at\n"
    "Канал: channel\n"
    "Опрос: survey\n"
    "Оценка: nps\n"
)


def typed_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "response_id": ["R001", "R002", "R003", "R004", "R005"],
        "client_id": ["C01", "C02", "C03", "C04", "C05"],
        "submitted_at": pd.to_datetime(["2026-07-01 10:30", "2026-08-15", "2026-09-30 23:59",
                                        "2026-10-02", "2026-10-05"], format="ISO8601"),
        "channel": ["phone", "web", "messenger", "phone", "web"],
        "survey": ["periodic", "periodic", "after_camp", "lapsed", "first_lesson"],
        "nps": pd.array([9, 6, 10, 0, None], dtype="Int64"),
        "recommend": pd.array([True, False, None, False, True], dtype="boolean"),
        "csat": pd.array([4, 2, 5, 1, None], dtype="Int64"),
        "f_safety": pd.array([5, None, 5, 1, None], dtype="Int64"),
        "f_price_value": pd.array([4, 3, None, 1, None], dtype="Int64"),
        "comment": ["Всё понравилось, спасибо!", None, "«Лагерь — супер»", "Переехали", None],
    })


def main() -> None:
    (HERE / "responses_cp1251.csv").write_bytes(RU_CSV.encode("cp1251"))
    (HERE / "responses_bad.csv").write_text(BAD_CSV, encoding="utf-8")
    (HERE / "survey_export.csv").write_text(FOREIGN_CSV, encoding="utf-8-sig")
    (HERE / "mapping.yml").write_text(MAPPING_YML, encoding="utf-8")
    df = typed_frame()
    df.to_parquet(HERE / "responses.parquet", index=False)
    # a spreadsheet as people make them: Russian-style text dates, real numbers, a title-less sheet
    x = df.astype(object).where(df.notna(), None)
    x["submitted_at"] = [d.strftime("%d.%m.%Y %H:%M") for d in df["submitted_at"]]
    x["recommend"] = ["да", "нет", None, "нет", "да"]
    with pd.ExcelWriter(HERE / "responses_2026-10.xlsx") as xw:
        x.to_excel(xw, sheet_name="Ответы", index=False)
        pd.DataFrame({"note": ["не данные"]}).to_excel(xw, sheet_name="Примечания", index=False)


if __name__ == "__main__":
    main()
