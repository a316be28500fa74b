"""A Telegram Desktop chat export read into the rows of the ``feedback`` table.

A team whose staff drop every client's feedback into one Telegram group ("ОБРАТНАЯ
СВЯЗЬ") exports it with Telegram Desktop (chat → Export chat history → JSON), which
writes ``result.json``: the chat's ``name``, ``type`` and ``id``, and its ``messages``.
:func:`cxlab.exports.read` (and ``cxlab ingest result.json``) recognise it by its content
and read it as table ``feedback``; this module does the reading, the exports module the
validation (:func:`cxlab.schema.validate`) like any other file.

One message with text is one row:

- ``message_id`` is ``"<chat id>:<message id>"``, so two chats never collide, and
  ``reply_to`` the same of the message it answers;
- ``text`` is the message's text: a string, or the concatenation of its parts (plain
  strings and ``{"type": "bold", "text": …}`` entities alike);
- ``sent_at`` is ``date_unixtime`` (UTC seconds), put in the study's time zone by the one
  time-zone rule (:func:`cxlab.schema.local_time`); an export without it gives ``date``,
  which Telegram writes in the exporting machine's local time and is taken as local;
- ``author_id`` is a pseudonym (:func:`author_id`), ``author_role`` the study's role of
  that author (``feedback → roles``); the display name (``from``) is never read;
- ``client_id`` is the client id the study's ``feedback → client_ref`` finds in the text,
  else the client of the message it replies to (chains followed, within the file);
- ``source`` is ``"telegram: <chat name>"``.

Service messages (someone joined, a message was pinned) and messages without text (a
photo without caption, a sticker) are not feedback: they are skipped and counted in the
file's warnings. A message's row number is its position in ``messages`` counted from 1,
and every problem names the message's id too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from cxlab.errors import Problem, ReadError

__all__ = ["SUFFIXES", "Messages", "author_id", "feedback_rows", "is_export", "load",
           "message_place", "message_text"]

#: Files read as a Telegram export.
SUFFIXES = (".json",)

#: The columns :func:`feedback_rows` fills, in the table's order.
COLUMNS = ("message_id", "sent_at", "author_id", "author_role", "text", "reply_to",
           "client_id", "source")

_EXPECTED = ("a Telegram Desktop chat export (chat → Export chat history → JSON writes "
             "result.json: an object with the chat's 'name', 'type', 'id' and a list "
             "'messages')")


def is_export(data) -> bool:
    """Whether parsed JSON is a Telegram Desktop export of one chat: an object with a
    ``type`` and a list of ``messages``."""
    return isinstance(data, Mapping) and "type" in data and isinstance(data.get("messages"),
                                                                       list)


def _what(data) -> str:
    """What a JSON document that is not a chat export holds, in a few words."""
    if isinstance(data, Mapping):
        if isinstance(data.get("chats"), Mapping) and "list" in data["chats"]:
            return ("a whole-account export (its 'chats' → 'list'); export the one chat "
                    "instead: open it, ⋮ → Export chat history → JSON")
        keys = ", ".join(repr(k) for k in list(data)[:8]) or "none"
        if isinstance(data.get("messages"), list):
            return f"an object with 'messages' but no 'type' (keys: {keys})"
        return f"an object with the keys {keys}"
    return f"a JSON {type(data).__name__}"


def load(path: Path, other_types: str = "") -> dict:
    """The parsed export; :class:`ReadError` naming the file when it is not JSON, or JSON
    that is not a chat export (``other_types``: the file types read otherwise, for the
    message)."""
    try:
        with open(path, encoding="utf-8-sig") as fh:
            data = json.load(fh)
    except json.JSONDecodeError as err:
        raise ReadError(f"{path}: not valid JSON (line {err.lineno}, column {err.colno}: "
                        f"{err.msg}); expected {_EXPECTED}") from None
    except UnicodeDecodeError as err:
        raise ReadError(f"{path}: not UTF-8 text (byte offset {err.start}); expected "
                        f"{_EXPECTED}") from None
    if not is_export(data):
        others = f" or an export in one of {other_types}" if other_types else ""
        raise ReadError(f"{path}: not a Telegram chat export: {_what(data)}; unknown file "
                        f"type '{path.suffix.lower()}' for such content; expected "
                        f"{_EXPECTED}{others}")
    if data.get("id") is None or isinstance(data.get("id"), (dict, list)):
        raise ReadError(f"{path}: the chat export has no chat 'id' (got "
                        f"{data.get('id')!r}); expected {_EXPECTED}")
    return data


def message_text(text) -> str | None:
    """A message's text: a string as it is, a list's parts concatenated (strings, and
    entities ``{"type": …, "text": …}`` by their text); None when it is neither."""
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    if isinstance(text, list):
        parts = []
        for part in text:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, Mapping) and isinstance(part.get("text"), str):
                parts.append(part["text"])
            else:
                return None
        return "".join(parts)
    return None


def author_id(from_id: str, key: str) -> str:
    """An author's pseudonym: ``"a"`` and the first 12 hex digits of
    HMAC-SHA256(``key``, ``from_id``). The same author, the same id, in every export keyed
    alike; without the key it cannot be traced back to the Telegram account.

    Examples
    --------
    >>> author_id("user111111111", "ДетиЛюбят")  # doctest: +ELLIPSIS
    'a...'
    >>> len(author_id("user111111111", "ДетиЛюбят"))
    13
    """
    digest = hmac.new(str(key).encode("utf-8"), str(from_id).encode("utf-8"), hashlib.sha256)
    return "a" + digest.hexdigest()[:12]


def _media(msg: Mapping) -> str:
    """What a message without text holds: ``sticker``, ``photo``, ``voice_message`` …"""
    if msg.get("media_type"):
        return str(msg["media_type"])
    if "sticker_emoji" in msg:
        return "sticker"
    for key, kind in (("photo", "photo"), ("file", "file"), ("poll", "poll"),
                      ("location_information", "location"),
                      ("contact_information", "contact")):
        if key in msg:
            return kind
    return "empty"


def _sent(msg: Mapping) -> tuple[str | None, str]:
    """(the moment as a cell for validation, the field it came from): ``date_unixtime``
    as UTC (``…Z``), else ``date`` as local time. A ``date_unixtime`` that is no number
    is kept as written, so validation names it."""
    unix = msg.get("date_unixtime")
    if unix is not None and str(unix).strip() != "":
        try:
            seconds = int(str(unix).strip())
            moment = datetime.fromtimestamp(seconds, tz=UTC)
        except (ValueError, OverflowError, OSError):
            return str(unix), "date_unixtime"
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ"), "date_unixtime"
    date = msg.get("date")
    return (None if date is None else str(date)), "date"


def _id_text(value) -> str | None:
    if value is None or isinstance(value, (bool, dict, list)):
        return None
    return str(value).strip() or None


@dataclass
class Messages:
    """A chat export read as rows (see :func:`feedback_rows`).

    ``frame`` holds the rows as text cells (``sent_at`` as ISO text, aware when it came
    from ``date_unixtime``), ``row_numbers`` each row's position in ``messages`` from 1,
    ``message_ids`` the message id of each such row number, ``sent_from`` the field
    each row's time came from, ``service`` and ``no_text``
    the skipped messages by action or media, ``problems`` what could not be made a cell.
    """

    frame: pd.DataFrame
    row_numbers: pd.Series
    chat: str
    message_ids: dict[int, str] = field(default_factory=dict)
    #: row number → the field ``sent_at`` came from (``date_unixtime`` or ``date``)
    sent_from: dict[int, str] = field(default_factory=dict)
    service: Counter = field(default_factory=Counter)
    no_text: Counter = field(default_factory=Counter)
    other: Counter = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)

    def warnings(self) -> list[str]:
        """The skipped messages, counted: what a person checks the file by."""
        def listed(c: Counter) -> str:
            return ", ".join(f"{k} {n}" for k, n in sorted(c.items(), key=lambda x: (-x[1], x[0])))

        out = []
        if self.service:
            out.append(f"Telegram chat {self.chat!r}: {sum(self.service.values())} service "
                       f"message(s) skipped ({listed(self.service)}): not feedback")
        if self.no_text:
            out.append(f"Telegram chat {self.chat!r}: {sum(self.no_text.values())} message(s) "
                       f"without text skipped ({listed(self.no_text)}): nothing to read")
        if self.other:
            out.append(f"Telegram chat {self.chat!r}: {sum(self.other.values())} item(s) of "
                       f"another type skipped ({listed(self.other)}); expected type "
                       "'message' or 'service'")
        return out


def feedback_rows(data: Mapping, study) -> Messages:
    """The rows of the ``feedback`` table in a parsed chat export (:func:`load`), as text
    cells for :func:`cxlab.schema.validate`.

    Parameters
    ----------
    data : dict
        The export.
    study : Study
        Its ``feedback`` settings (roles, client_ref, pseudonym_key) and name.
    """
    settings = study.feedback
    key = settings.pseudonym_key or study.name
    pattern = settings.client_pattern
    chat_id = str(data["id"]).strip()
    chat = str(data.get("name") or chat_id)
    messages = data["messages"]
    out = Messages(pd.DataFrame(columns=list(COLUMNS), dtype=object),
                   pd.Series([], dtype="int64"), chat)

    texts: dict[str, str] = {}  # message id → text, for the clients of replies
    replies: dict[str, str] = {}  # message id → the id it answers
    rows = []
    for i, msg in enumerate(messages):
        number = i + 1
        if not isinstance(msg, Mapping):
            out.problems.append(Problem("messages", "structure", _short(msg), number,
                                        "a message: an object with id, type, date, text"))
            continue
        mid = _id_text(msg.get("id"))
        if mid is not None:
            out.message_ids[number] = mid
        kind = msg.get("type")
        if kind == "service":
            out.service[str(msg.get("action") or "unknown")] += 1
            continue
        if kind != "message":
            out.other[str(kind)] += 1
            continue
        raw_text = msg["text"] if "text" in msg else msg.get("text_entities")
        text = message_text(raw_text)
        reply = _id_text(msg.get("reply_to_message_id"))
        if msg.get("reply_to_peer_id") is not None:
            reply = None  # a reply to a message of another chat: not this file's id
        if mid is not None:
            texts[mid] = text or ""
            if reply is not None:
                replies[mid] = reply
        if text is None:
            out.problems.append(Problem(
                "text", "structure", _short(raw_text), number,
                "text as a string, or a list of strings and parts {type, text}"))
            continue
        if not text.strip():
            out.no_text[_media(msg)] += 1
            continue
        from_id = _id_text(msg.get("from_id"))
        sent, out.sent_from[number] = _sent(msg)
        rows.append({
            "message_id": None if mid is None else f"{chat_id}:{mid}",
            "sent_at": sent,
            "author_id": None if from_id is None else author_id(from_id, key),
            "author_role": settings.roles.get(from_id) if from_id is not None else None,
            "text": text,
            "reply_to": None if reply is None else f"{chat_id}:{reply}",
            "client_id": None,
            "source": f"telegram: {chat}",
            "__mid": mid,
            "__number": number,
        })

    if pattern is not None:
        found: dict[str, str | None] = {}

        def client_of(mid: str) -> str | None:
            # the client the message names, else its reply chain's (each message once:
            # a chain that loops ends where it started)
            chain, seen = [], set()
            cur, client = mid, None
            while cur is not None and cur not in seen:
                if cur in found:
                    client = found[cur]
                    break
                seen.add(cur)
                chain.append(cur)
                m = pattern.search(texts.get(cur, ""))
                if m is not None and m.group(1):
                    client = m.group(1)
                    break
                cur = replies.get(cur)
            for c in chain:
                found[c] = client
            return client

        for row in rows:
            if row["__mid"] is not None:
                row["client_id"] = client_of(row["__mid"])
            else:
                m = pattern.search(row["text"])
                row["client_id"] = m.group(1) if m is not None else None

    if rows:
        frame = pd.DataFrame(rows)
        out.row_numbers = frame.pop("__number").astype("int64")
        frame.pop("__mid")
        out.frame = frame[list(COLUMNS)].astype(object)
    return out


def _short(value, n: int = 80) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False,
                                                           default=str)
    return text if len(text) <= n else text[: n - 1] + "…"


def message_place(problem: Problem, message_ids: Mapping[int, str],
                  sent_from: Mapping[int, str] | None = None) -> Problem:
    """``problem`` naming its message (``row 5, message 17, column 'sent_at'``) and, for
    ``sent_at``, the export's field the time came from."""
    from dataclasses import replace

    mid = message_ids.get(problem.row) if problem.row is not None else None
    if mid is None or problem.column is None or problem.place != "column":
        return problem
    expected = problem.expected
    origin = (sent_from or {}).get(problem.row)
    if problem.column == "sent_at" and origin:
        expected += (f" (from the message's {origin}"
                     + (": seconds since 1970 in UTC)" if origin == "date_unixtime" else ")"))
    return replace(problem, place=f"message {mid}, column", expected=expected)

