"""Russian text underneath :mod:`cxlab.text`: sentences, content lemmas with negation,
two-word phrases, and quotes with the people taken out.

The texts are short survey comments by parents ("Маша в восторге, каждую неделю ждёт
занятия!", "Нормально, но расписание неудобное.") and staff's Telegram messages.

What each function assumes
--------------------------
- :func:`sentences` — razdel's rule-based sentence splitter; an abbreviation it does not
  know may end a sentence early.
- :func:`lemmas` — razdel tokens; only word tokens (letters, inner hyphens) count, so
  numbers, emoji and punctuation are dropped. The lemma is pymorphy3's *first* parse
  (a tie between equally likely parses goes to a content word, and not to an
  imperative), with no context: a homonym ("стали" the verb or the metal) gets the
  likelier dictionary reading, right for the common words of comments, wrong now and
  then. "ё" is read as "е" everywhere, so "ещё" and "еще" are one lemma. Function words
  go (by part of speech and a short stop list, :data:`STOP_LEMMAS`), and so do words
  whose first parse is a person's name ("Маша"): a name is no theme, and lemma lists end
  up in reports' tables of distinguishing words. Negation is kept
  by gluing "не"/"ни" to the next content lemma of the same clause (``не_понравиться``)
  and "нет" to the noun it denies (``нет_парковка``); a clause ends at punctuation.
  This is a bag-of-words reading: "не только дорого" or a double negation ("не могу не
  сказать") come out approximately.
- :func:`bare` — a lemma's prefix is exactly ``не_`` or ``нет_``.
- :func:`phrases` — consecutive lemmas after the function words are gone, so "дорого
  для нас" gives "дорого" next to whatever content word follows.
- :func:`redact` / :func:`person_names` — a name is found by any one of three means:
  natasha's news NER (PER spans); a capitalised word that pymorphy3's *dictionary*
  knows as a first name, surname or patronymic in any of its parses (a guessed parse of
  an unknown word does not count: it would take "Скетчинг" for a name); or a word whose
  normal form matches one of the ``names`` given. Missing a name is worse than hiding a
  word, so a capitalised common word that is also a name ("Слава богу", "Вера") is
  hidden too, and so is what the news model takes for a person mid-sentence (a workshop
  called «Скетчинг»); only its guesses on a sentence's first word that the dictionary
  knows as an ordinary word ("Педагогу не хватает…") are overruled. A name the dictionary does not know, written without a capital and not
  among ``names``, is missed. Phones are Russian or "+"-international numbers of 7–15
  digits; dates, year ranges ("2024-2025") and thousands ("1 500 000") are left alone.
"""

from __future__ import annotations

import functools
import itertools
import re

import razdel

from cxlab.errors import ParameterError

# ------------------------------------------------------------------------------ analysers


@functools.cache
def _morph():
    # Loading the dictionaries takes ~0.2 s; a process that never lemmatises should not pay.
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


@functools.cache
def _ner():
    # natasha's embeddings load in ~1 s and are only needed for the few quotes of a report.
    from natasha import NewsEmbedding, NewsNERTagger, Segmenter

    return Segmenter(), NewsNERTagger(NewsEmbedding())


def _yo(word: str) -> str:
    return word.replace("ё", "е").replace("Ё", "Е")


# pymorphy3's grammemes of a person's first name, surname and patronymic.
_NAME_TAGS = frozenset({"Name", "Surn", "Patr"})

# A word token: letters of any script, possibly joined by hyphens ("из-за", "Анна-Мария").
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


@functools.lru_cache(maxsize=200_000)
def _analyse(word: str) -> tuple[str, str | None, bool]:
    """(lemma, part of speech, is a person's name) of a lower-case, ё-less word, by its
    first pymorphy3 parse.

    Corrections to the first parse: among the parses as likely as the first, one that is
    not an imperative wins ("нашли" is "найти", not the imperative of "наслать"), then one
    that is not an interjection, conjunction or particle ("было бы здорово" is the adverb,
    not a greeting; "единственный минус" the noun), then an adverb over a short
    adjective ("здорово", not "здоровый"); and :data:`_LEMMA_FIX` renames a lemma
    pymorphy3 picks by a coin toss ("большая" → "больший"). Cached because a corpus of comments repeats a few thousand words;
    without the cache pymorphy3 costs ~50 µs a word, with it a dictionary lookup.
    """
    parses = _morph().parse(word)
    tied = [q for q in parses if q.score >= parses[0].score - 1e-9]
    p = min(tied, key=lambda q: ("impr" in q.tag.grammemes, q.tag.POS in _WEAK_POS,
                                 q.tag.POS == "ADJS"))
    lemma = _yo(p.normal_form)
    return _LEMMA_FIX.get(lemma, lemma), p.tag.POS, bool(_NAME_TAGS & p.tag.grammemes)


# Function-word readings that lose a tie with an equally likely content one (_analyse).
_WEAK_POS = frozenset({"INTJ", "CONJ", "PREP", "PRCL"})

# pymorphy3 gives "больший" and "большой" equal odds for "большая", "большие": in
# comments it is "большая группа" far more often than "ожидали большего".
_LEMMA_FIX = {"больший": "большой"}


# ------------------------------------------------------------------------------ sentences


def sentences(text: str) -> list[str]:
    """The sentences of ``text`` (razdel's splitter), as they are written.

    Examples
    --------
    >>> sentences("Всё понравилось. Придём ещё!")
    ['Всё понравилось.', 'Придём ещё!']
    """
    if not isinstance(text, str):
        return []
    return [s.text for s in razdel.sentenize(text) if s.text.strip()]


# -------------------------------------------------------------------------------- lemmas

#: Parts of speech that carry no topic: prepositions, conjunctions, particles, pronouns,
#: interjections and numerals (pymorphy3's OpenCorpora tags).
DROP_POS = frozenset({"PREP", "CONJ", "PRCL", "NPRO", "INTJ", "NUMR"})

#: Lemmas kept although their part of speech is dropped: "спасибо" (an interjection to
#: pymorphy3) is what praise is made of.
KEEP_LEMMAS = frozenset({"спасибо"})

#: Lemmas dropped although their part of speech is a content one ("ё" written as "е").
STOP_LEMMAS = frozenset({
    # auxiliary and modal verbs: "было бы здорово", "не могу дозвониться" — the topic is
    # in the next verb
    "быть", "мочь",
    # pronominal adjectives, tagged ADJF, that only point at something named elsewhere
    "весь", "все", "такой", "который", "свой", "этот", "тот", "сам", "какой", "наш",
    "ваш", "мой", "это",
    # degree and discourse adverbs: they colour a statement ("очень удобно") and would
    # otherwise be the commonest "themes"; dropping them lets "не очень понравилось"
    # carry its negation to "понравиться"
    "очень", "совсем", "вообще", "просто", "еще", "уже", "тоже", "также", "только",
    # pronominal adverbs of place and manner
    "так", "как", "там", "тут", "здесь", "где", "вот",
    # particles pymorphy3 sometimes reads otherwise
    "бы", "же", "ли", "уж", "ага",
})

_NEGATORS = frozenset({"не", "ни"})
# Punctuation that ends the reach of a pending "не"/"нет": "не, всё хорошо" negates nothing.
_CLAUSE_END = frozenset(".,;:!?…()[]—–-")


class Lemmas(list):
    """A text's lemmas (a list), knowing which of them follow each other in the text:
    ``joined[i]`` is True when lemma ``i`` comes right after lemma ``i − 1``, with no
    punctuation and no left-out word between them (a negation glued on is no gap), so
    :func:`phrases` never makes a phrase of words the text did not put together."""

    __slots__ = ("joined",)

    def __init__(self, items=(), joined=None):
        super().__init__(items)
        self.joined = tuple(joined) if joined is not None else None


def lemmas(text: str, *, negation: bool = True) -> list[str]:
    """The content lemmas of ``text``, in order, negation glued on.

    Parameters
    ----------
    text : str
        A comment or message. Anything else (``None``, ``NaN``) has no lemmas.
    negation : bool, default True
        Keep negation: "не"/"ни" become a ``не_`` prefix on the next content lemma of the
        same clause, skipping the function and stop words between them ("не очень
        понравилось" → ``не_понравиться``); "нет" becomes a ``нет_`` prefix on the noun it
        denies, before ("нет парковки") or after it ("парковки нет"), and on the
        adjectives in front of that noun ("нет удобной парковки" → ``нет_удобный
        нет_парковка``). With ``False`` the three words are simply dropped.

    Returns
    -------
    list of str
        Lower-case pymorphy3 normal forms, "ё" written "е"; numbers, punctuation,
        function words (:data:`DROP_POS`), :data:`STOP_LEMMAS` and words read as
        persons' names left out.

    Notes
    -----
    Speed, measured: 10,000 comments of the sample responses (``data/samples``, its
    3,299 non-empty comments repeated) take 0.7–1.0 s, and 10,000 distinct comments of
    ten words drawn from the generator's templates ~1.8 s, once pymorphy3 is loaded
    (~0.2 s, once per process), on a two-core machine.
    razdel's tokenizer is most of that time: pymorphy3 (~50 µs a word) runs once per
    distinct word, its result kept in an LRU cache of 200,000 words.

    Examples
    --------
    >>> lemmas("Не понравилась организация, дети были предоставлены сами себе.")
    ['не_понравиться', 'организация', 'ребенок', 'предоставить']
    >>> lemmas("Негде припарковаться, нет парковки.")
    ['негде', 'припарковаться', 'нет_парковка']
    """
    if not isinstance(text, str):
        return Lemmas((), ())
    out: list[str] = []
    joined: list[bool] = []  # does each lemma follow the one before in the text?
    adjacent = False  # the last token kept a lemma (nothing left out since)
    pending: str | None = None  # "не" or "нет", waiting for the word it negates
    net_used = False  # the pending "нет" has reached a word after it
    net_noun: int | None = None  # the noun just before a "нет", index in out
    clause_start = 0  # index in out where the current clause began

    def close_net() -> None:
        # "парковки нет": a "нет" that found nothing after it denies the noun before it.
        if pending == "нет" and not net_used and net_noun is not None:
            out[net_noun] = "нет_" + out[net_noun]

    tokens = [t.text for t in razdel.tokenize(text)]
    for i, raw in enumerate(tokens):
        word = _yo(raw.lower())
        if not _WORD.fullmatch(word):
            adjacent = False  # punctuation or a number: no phrase across it
            if any(ch in _CLAUSE_END for ch in raw):
                close_net()
                pending, clause_start = None, len(out)
            continue
        if word in _NEGATORS or word == "нет":
            if not negation:
                continue
            if word == "нет":
                close_net()
                before = len(out) > clause_start and _plain_noun(out[-1])
                net_noun = len(out) - 1 if before else None
                pending, net_used = "нет", False
            elif pending is None:
                # "не только …, но и …" is not a negation
                nxt = _yo(tokens[i + 1].lower()) if i + 1 < len(tokens) else ""
                pending = None if nxt == "только" else "не"
            continue
        lemma, pos, person = _analyse(word)
        # A child's name ("маша") is no theme, and a lemma list may end up in a report's
        # table of distinguishing words: names go too.
        if ((pos in DROP_POS and lemma not in KEEP_LEMMAS) or lemma in STOP_LEMMAS
                or person):
            adjacent = False
            continue
        if pending == "не":
            lemma, pending = "не_" + lemma, None
        elif pending == "нет":
            # "нет удобной парковки": the adjectives on the way are denied with the noun
            lemma, net_used = "нет_" + lemma, True
            if pos == "NOUN":
                pending = None
        joined.append(adjacent and bool(out))
        out.append(lemma)
        adjacent = True
    close_net()
    return Lemmas(out, joined)


def _plain_noun(lemma: str) -> bool:
    return not lemma.startswith(("не_", "нет_")) and _analyse(lemma)[1] == "NOUN"


def bare(lemma: str) -> str:
    """``lemma`` without its negation prefix: ``"не_понравиться"`` → ``"понравиться"``.

    A theme is mentioned whether or not it is negated, so tagging compares bare lemmas.
    """
    for prefix in ("не_", "нет_"):
        if lemma.startswith(prefix):
            return lemma[len(prefix):]
    return lemma


def phrases(lemma_list: list[str]) -> list[str]:
    """The two-word phrases of consecutive lemmas, space-joined. Lemmas from
    :func:`lemmas` make a phrase only when they follow each other in the text (no
    punctuation, no left-out word between): "Спасибо, лучшее, что мы нашли" gives no
    "спасибо хороший" nor "хороший найти".

    Examples
    --------
    >>> phrases(["расписание", "неудобный", "дорого"])
    ['расписание неудобный', 'неудобный дорого']
    >>> phrases(lemmas("Занятие перенесли, спасибо"))
    ['занятие перенести']
    """
    joined = getattr(lemma_list, "joined", None)
    pairs = itertools.pairwise(list(lemma_list))
    if joined is None:
        return [f"{a} {b}" for a, b in pairs]
    return [f"{a} {b}" for (a, b), j in zip(pairs, joined[1:]) if j]


# ------------------------------------------------------------------------------ redaction

#: What a redacted span becomes, by report language.
PLACEHOLDERS = {
    "ru": {"name": "[имя]", "phone": "[телефон]", "email": "[e-mail]", "link": "[ссылка]",
           "handle": "[аккаунт]"},
    "en": {"name": "[name]", "phone": "[phone]", "email": "[e-mail]", "link": "[link]",
           "handle": "[handle]"},
}

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")

# Top-level domains that make "word.tld" a link on their own; any other needs a path
# ("site.xyz/…") so that "т.е." or "Mr.Smith" stay text.
_TLDS = ("ru|su|com|org|net|info|biz|io|me|ly|gl|cc|co|app|dev|online|site|pro|club|"
         "shop|store|tv|by|kz|ua|uz|am|ge|de|uk|us|eu|link|xyz|to|fm|ws|рф|рус|онлайн|сайт|"
         "москва|дети")
_LINK = re.compile(
    r"(?:https?://|www\.)[^\s<>«»\"]+"
    r"|(?<![\w@.\-])(?:[^\W_](?:[\w-]*[^\W_])?\.)+(?:" + _TLDS + r")(?![\w-])(?:/[^\s<>«»\"]*)?"
    r"|(?<![\w@.\-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,10}/[^\s<>«»\"]*",
    re.IGNORECASE,
)
# Telegram and Instagram handles: latin letters, digits, "_" (and "." inside, Instagram).
_HANDLE = re.compile(r"(?<![\w@])@[A-Za-z0-9_](?:[A-Za-z0-9_.]*[A-Za-z0-9_])?")

_S = r"[ \u00a0\-–]?"  # at most one separator between groups
_PHONE = re.compile(
    r"(?<![\w+.,/\-])(?:"
    # Russian: [+7 | 8 | 7] (999) 123-45-67 in any spacing
    r"(?:(?:\+7|8|7)" + _S + r")?(?:\(\d{3,5}\)|\d{3})" + _S + r"\d{3}" + _S + r"\d{2}"
    + _S + r"\d{2}"
    # a local number: 520-10-88
    r"|\d{3}-\d{2}-\d{2}"
    # anything else: "+" or a digit, then 7–15 digits in all with separators
    r"|\+?[ \u00a0]?\(?\d(?:[ \u00a0\-–()]{0,2}\d){6,14}"
    r")(?![\w/]|[.,]\d)"
)
_NOT_PHONE = (
    re.compile(r"\d{1,2}[-–]\d{1,2}[-–]\d{2,4}|\d{4}[-–]\d{1,2}[-–]\d{1,2}"),  # dates
    re.compile(r"(?:19|20)\d\d\s*[-–]\s*(?:19|20)\d\d"),  # year ranges: 2024-2025
    re.compile(r"\d{1,3}(?:[ \u00a0]\d{3})+"),  # thousands: 1 500 000
)


def _is_phone(s: str) -> bool:
    digits = sum(ch.isdigit() for ch in s)
    if not 7 <= digits <= 15:
        return False
    if s.startswith("+"):
        return True
    if any(p.fullmatch(s) for p in _NOT_PHONE):
        return False
    # A bare run of digits reads as a phone only at a phone's length (9991234567,
    # 89991234567, 375291234567); a shorter one is more likely an order or a contract.
    return s.isdigit() is False or 10 <= digits <= 12


def _trim_link(s: str) -> str:
    # A link at the end of a sentence or in brackets: the punctuation is the sentence's.
    while s and s[-1] in ".,;:!?)]}'\"»…":
        if s[-1] == ")" and s.count("(") >= s.count(")"):
            break
        s = s[:-1]
    return s


@functools.lru_cache(maxsize=50_000)
def _dictionary_name(word: str) -> bool:
    """Does pymorphy3's dictionary know ``word`` (lower case) as a first name, surname or
    patronymic in any parse? Single-letter initials (tag ``Init``) do not count: "В" and
    "Я" would be names otherwise."""
    return any(p.is_known and _NAME_TAGS & p.tag.grammemes and "Init" not in p.tag.grammemes
               for p in _morph().parse(word))


@functools.lru_cache(maxsize=50_000)
def _forms(word: str) -> frozenset[str]:
    """The lower-case form of ``word`` and the normal forms of all its parses, ё-less."""
    w = _yo(word.lower())
    return frozenset({w} | {_yo(p.normal_form) for p in _morph().parse(w)})


@functools.lru_cache(maxsize=50_000)
def _given_name(word: str) -> tuple[frozenset[str], bool]:
    """What a word of a given name matches, and whether it may match in lower case.

    The keys are its lower-case form and the normal forms of its name parses (of all
    parses when it has none: an invented surname). "Маша" is also the gerund of
    "махать"; taking only the name parse keeps "машет" from matching. A name that is
    also an ordinary word ("Роман", "Надежда", "Любовь") matches only when capitalised,
    or every "любовь" of the comments would go.
    """
    w = _yo(word.lower())
    parses = _morph().parse(w)
    named = [p for p in parses if _NAME_TAGS & p.tag.grammemes and "Init" not in p.tag.grammemes]
    keys = {w} | {_yo(p.normal_form) for p in (named or parses)}
    ordinary = any(p.is_known and not _NAME_TAGS & p.tag.grammemes for p in parses)
    return frozenset(keys), not ordinary


def _given_keys(names) -> tuple[frozenset[str], frozenset[str]]:
    """(keys matched in any case, keys matched only when capitalised) of ``names``."""
    if isinstance(names, str):
        names = (names,)
    anycase: set[str] = set()
    capital: set[str] = set()
    for name in names or ():
        if not isinstance(name, str):  # a missing name in a frame column
            continue
        for word in _WORD.findall(name):
            if len(word) < 2:  # an initial: "И" would take every sentence's "И …"
                continue
            keys, lower_ok = _given_name(word)
            (anycase if lower_ok else capital).update(keys)
    return frozenset(anycase), frozenset(capital)


def _structured_spans(text: str) -> list[tuple[int, int, str]]:
    spans: list[tuple[int, int, str]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e, _ in spans)

    # E-mails before links (the domain of an e-mail is a link's shape) and before handles
    # (its "@"); links before phones (digits in a path).
    for kind, rx in (("email", _EMAIL), ("link", _LINK), ("handle", _HANDLE),
                     ("phone", _PHONE)):
        for m in rx.finditer(text):
            s = m.group()
            if kind == "link":
                s = _trim_link(s)
            elif kind == "phone" and not _is_phone(s):
                continue
            a, b = m.start(), m.start() + len(s)
            if b > a and free(a, b):
                spans.append((a, b, kind))
    return spans


def _name_spans(text: str, names) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    # (a) natasha's NER: catches names in context, including ones no dictionary lists.
    segmenter, tagger = _ner()
    from natasha import Doc

    doc = Doc(text)
    doc.segment(segmenter)
    doc.tag_ner(tagger)
    spans += [(s.start, s.stop) for s in doc.spans
              if s.type == "PER" and not _ner_slip(text, s.start, s.stop)]
    # (b) dictionary names and (c) the names given.
    anycase, capital = _given_keys(names)
    for tok in razdel.tokenize(text):
        word = tok.text
        if not _WORD.fullmatch(word):
            continue
        cap = word[0].isupper()
        parts = word.split("-")
        hit = cap and any(p and p[0].isupper() and _dictionary_name(_yo(p.lower()))
                          for p in parts)
        if not hit and (anycase or capital):
            forms = _forms(word)
            hit = not forms.isdisjoint(anycase) or (cap and not forms.isdisjoint(capital))
        if hit:
            spans.append((tok.start, tok.stop))
    return spans


_SENTENCE_START = re.compile(r"(?:^|[.!?…\n])[\s«\"„(]*$")


def _ner_slip(text: str, a: int, b: int) -> bool:
    """Is natasha's PER span ``text[a:b]`` a sentence's capitalised first word that the
    dictionary knows as an ordinary word and never as a name? The news model takes
    "Педагогу не хватает…" and "Невнимательный преподаватель…" for people; a real name
    there is still caught by the dictionary ("Маша", "Вика") or by ``names``."""
    word = text[a:b]
    if not _WORD.fullmatch(word) or not _SENTENCE_START.search(text, 0, a):
        return False
    w = _yo(word.lower())
    return (not _dictionary_name(w)
            and any(p.is_known and "Init" not in p.tag.grammemes for p in _morph().parse(w)))


_INITIAL = re.compile(r"(?<![\w.])[А-ЯЁA-Z]\.")
_GAP = re.compile(r"[ \u00a0\t]*")


def _merge_names(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping and adjacent name spans as one ("Ирина Дмитриевна" is one name), with
    initials next to a name ("Яковлева И. Д.") taken in."""
    if not spans:
        return []
    marked = [(a, b, True) for a, b in spans]
    marked += [(m.start(), m.end(), False) for m in _INITIAL.finditer(text)]
    marked.sort()
    groups: list[list] = []
    for a, b, real in marked:
        if groups and (a <= groups[-1][1] or _GAP.fullmatch(text, groups[-1][1], a)):
            g = groups[-1]
            g[1], g[2] = max(g[1], b), g[2] or real
        else:
            groups.append([a, b, real])
    return [(a, b) for a, b, real in groups if real]


def _spans(text: str, names) -> list[tuple[int, int, str]]:
    structured = _structured_spans(text)
    people = [(a, b) for a, b in _merge_names(text, _name_spans(text, names))
              if all(b <= s or a >= e for s, e, _ in structured)]
    return sorted(structured + [(a, b, "name") for a, b in people])


def redact(text: str, *, names=(), lang: str = "ru") -> str:
    """``text`` with the people taken out: names, phones, e-mails, links and @handles
    replaced by placeholders (:data:`PLACEHOLDERS`), everything else as written.

    Parameters
    ----------
    text : str
        A quote. Anything that is not a string (``None``, ``NaN``) is returned as given;
        an empty string stays empty.
    names : str or iterable of str, optional
        Names known to belong to people ("Яковлева Ирина Дмитриевна", "Лёва Яковлев"),
        e.g. the clients'. Each is split into words, and a word of the text is a name
        when its lower-case or normal form (pymorphy3, ё-insensitive) is one of theirs,
        so "Яковлевой" matches "Яковлева" and an invented "Кржемеликом" matches
        "Кржемелик". A word that is also an ordinary word ("Роман", "Любовь") matches
        only when capitalised.
    lang : {"ru", "en"}
        Language of the placeholders.

    Returns
    -------
    str

    Notes
    -----
    A name is what natasha's NER calls a person, or a capitalised word pymorphy3's
    dictionary knows as a first name, surname or patronymic (any parse, any case form:
    "Маше", "Мишу"), or a word matching ``names``. Adjacent names become one
    placeholder. natasha needs ~1 s to load once and ~2 ms a quote: meant for the
    handful of quotes of a report, not for every comment.

    Examples
    --------
    >>> redact("Маше очень понравилось, пишите @masha_mama или +7 927 520-10-88")
    '[имя] очень понравилось, пишите [аккаунт] или [телефон]'
    >>> redact("Яковлевой передали", names=["Яковлева Ирина Дмитриевна"], lang="en")
    '[name] передали'
    """
    if not isinstance(text, str):
        return text
    try:
        marks = PLACEHOLDERS[str(lang).strip().lower()]
    except KeyError:
        raise ParameterError(f"redact: no placeholders for language {lang!r}; expected one "
                             f"of {', '.join(PLACEHOLDERS)}") from None
    if not text.strip():
        return text
    out, pos = [], 0
    for a, b, kind in _spans(text, names):
        out += [text[pos:a], marks[kind]]
        pos = b
    out.append(text[pos:])
    return "".join(out)


def person_names(text: str) -> list[str]:
    """The name spans :func:`redact` would replace in ``text`` (with no ``names`` given),
    as written, in order: for tests and for checking a quote by eye.

    Examples
    --------
    >>> person_names("Спасибо Ирине Дмитриевне, Мише очень понравилось!")
    ['Ирине Дмитриевне', 'Мише']
    """
    if not isinstance(text, str) or not text.strip():
        return []
    return [text[a:b] for a, b, kind in _spans(text, ()) if kind == "name"]


def may_be_name(lemma: str) -> bool:
    """Whether a lemma (lower case, as :func:`lemmas` gives it) may be a person's name:
    its likeliest reading is a name, or some dictionary reading is a first name or a
    patronymic ("вера", "роман"). A common noun that is also a rarer surname ("машина",
    "лиса") is not taken for one. Words shown alone in a report (distinguishing words,
    candidates) are checked with it."""
    word = bare(lemma)
    if not word:
        return False
    if _analyse(word)[2]:
        return True
    return any(p.is_known and {"Name", "Patr"} & p.tag.grammemes
               and "Init" not in p.tag.grammemes for p in _morph().parse(word))


def is_noun(lemma: str) -> bool:
    """Whether a lemma's likeliest reading is a noun (a topic: парковка, расписание)."""
    word = bare(lemma)
    return bool(word) and _analyse(word)[1] == "NOUN"
