"""Lateral keyword analysis (DESIGN section 8): over a sliding window of new tickets and call
notes across clients, a keyword reported by at least `min_clients` distinct clients is "hot":
several companies are telling us about the same thing, perhaps one outage.

Keywords are normalised tokens and bigrams with stop words removed. The window is incremental:
per keyword it keeps how many items each client has in the window, and items leave it in time
order through a deque, so adding an item costs the same whatever the window holds (the bound is
the item's own keyword count). `hot_from_scratch` computes the same answer the slow way, for
tests and the benchmark.
"""

from __future__ import annotations

import re
import unicodedata
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

DEFAULT_WINDOW = timedelta(minutes=20)
DEFAULT_MIN_CLIENTS = 3
# Bounds that keep one item's cost independent of how much text it carries.
MAX_TEXT = 2000
MAX_KEYWORDS = 64

# English function words plus what every helpdesk message says whatever the fault is.
_STOP_TEXT = """
    a about above after again against all almost also am an and another any anyone anything are
    around as at away back be because been before being below between both but by can cannot
    cant could couldnt did didnt do does doesnt doing done dont down during each either else
    even ever every few for from further get gets getting got had has hasnt have haven havent
    having he her here hers herself him himself his how however i id if im in into is isnt it
    its itself ive just keep keeps kept know last let like ll made make many may me might more
    most much must my myself need needed needs never new no nor not now of off often on once one
    only or other our ours ourselves out over own per please put quite rather re really said
    same say see seem seems she should since so some someone something still such sure take than
    that thats the their theirs them themselves then there these they theyre thing things think
    this those though through to today too tried try trying under until up upon us use used
    using ve very via want was wasnt way we well were werent what whats when where whether which
    while who whom whose why will with within without wont would wouldnt yes yesterday yet you
    youre your yours yourself yourselves hi hello hey dear thanks thank thx cheers regards kind
    best morning afternoon evening sorry asap urgent urgently help issue issues problem problems
    ticket tickets query call called calling phone phoned rang ring spoke speak user users
    customer client staff team colleague colleagues anybody everyone everybody nobody unable
    able work works working worked broken error errors fault faulty wrong happen happening
    happened again
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def normalise(text: str) -> str:
    """Lower case, accents folded, typographic apostrophes made plain."""
    folded = unicodedata.normalize("NFKD", text[:MAX_TEXT].lower().replace("\u2019", "'"))
    return "".join(c for c in folded if not unicodedata.combining(c))


def tokens(text: str) -> list[str]:
    """Content words in order: no stop words, no bare numbers, nothing under three letters."""
    out = []
    for raw in _TOKEN.findall(normalise(text)):
        word = raw.split("'", 1)[0] if raw.endswith(("'s", "'t", "'re", "'ve", "'ll")) else raw
        word = word.replace("'", "")
        if len(word) < 3 or word.isdigit() or word in STOP_WORDS:
            continue
        out.append(word)
    return out


def keywords(text: str) -> frozenset[str]:
    """The tokens and the bigrams of neighbouring tokens (stop words removed first)."""
    words = tokens(text)
    found: dict[str, None] = dict.fromkeys(words)
    for first, second in pairwise(words):
        if first != second:
            found[f"{first} {second}"] = None
    return frozenset(list(found)[:MAX_KEYWORDS])


@dataclass(frozen=True)
class LateralItem:
    """A new ticket or a call's notes: `key` is "ticket:<number>" or "call:<id>"."""

    key: str
    client_id: str
    at: datetime
    keywords: frozenset[str]


class LateralWindow:
    def __init__(
        self, window: timedelta = DEFAULT_WINDOW, min_clients: int = DEFAULT_MIN_CLIENTS
    ) -> None:
        if min_clients < 1:
            raise ValueError("min_clients is at least 1")
        self.window = window
        self.min_clients = min_clients
        self._queue: deque[LateralItem] = deque()
        self._current: dict[str, LateralItem] = {}
        # keyword -> client -> items of that client in the window holding the keyword
        self._counts: dict[str, dict[str, int]] = {}
        # keyword -> keys of the items holding it (dict for insertion order)
        self._items: dict[str, dict[str, None]] = {}
        self._hot: set[str] = set()
        self._latest: datetime | None = None

    def __len__(self) -> int:
        return len(self._current)

    @property
    def latest(self) -> datetime | None:
        return self._latest

    def add(self, item: LateralItem) -> frozenset[str]:
        """Put an item in the window (replacing an earlier version of the same key); returns
        the keywords that became hot with it."""
        now = item.at if self._latest is None else max(self._latest, item.at)
        self.expire(now)
        if item.at < now - self.window:
            return frozenset()
        previous = self._current.get(item.key)
        # A new version of an item does not make its own keywords hot "again".
        was_hot: set[str] = set()
        if previous is not None:
            was_hot = self._hot & previous.keywords
            self._forget(previous)
        self._current[item.key] = item
        self._queue.append(item)
        became: list[str] = []
        for keyword in item.keywords:
            clients = self._counts.setdefault(keyword, {})
            clients[item.client_id] = clients.get(item.client_id, 0) + 1
            self._items.setdefault(keyword, {})[item.key] = None
            if len(clients) >= self.min_clients and keyword not in self._hot:
                self._hot.add(keyword)
                if keyword not in was_hot:
                    became.append(keyword)
        return frozenset(became)

    def expire(self, now: datetime) -> None:
        """Drop the items older than the window before `now` (each item leaves once)."""
        if self._latest is None or now > self._latest:
            self._latest = now
        cutoff = self._latest - self.window
        while self._queue and self._queue[0].at < cutoff:
            item = self._queue.popleft()
            if self._current.get(item.key) is item:
                del self._current[item.key]
                self._forget(item)

    def _forget(self, item: LateralItem) -> None:
        for keyword in item.keywords:
            clients = self._counts[keyword]
            left = clients[item.client_id] - 1
            if left:
                clients[item.client_id] = left
            else:
                del clients[item.client_id]
            holders = self._items[keyword]
            holders.pop(item.key, None)
            if len(clients) < self.min_clients:
                self._hot.discard(keyword)
            if not clients:
                del self._counts[keyword]
                del self._items[keyword]

    def hot(self) -> frozenset[str]:
        return frozenset(self._hot)

    def is_hot(self, keyword: str) -> bool:
        return keyword in self._hot

    def clients_of(self, keyword: str) -> frozenset[str]:
        return frozenset(self._counts.get(keyword, ()))

    def items_of(self, keyword: str) -> list[LateralItem]:
        return [self._current[key] for key in self._items.get(keyword, ())]


def hot_from_scratch(
    items: Iterable[LateralItem],
    now: datetime,
    window: timedelta = DEFAULT_WINDOW,
    min_clients: int = DEFAULT_MIN_CLIENTS,
) -> frozenset[str]:
    """The hot keywords of the items in (now - window, now], counted anew: the reference the
    incremental window must agree with (the latest version of each key counts)."""
    latest: dict[str, LateralItem] = {}
    for item in items:
        latest[item.key] = item
    cutoff = now - window
    clients: dict[str, set[str]] = {}
    for item in latest.values():
        if item.at < cutoff or item.at > now:
            continue
        for keyword in item.keywords:
            clients.setdefault(keyword, set()).add(item.client_id)
    return frozenset(k for k, seen in clients.items() if len(seen) >= min_clients)
