"""The rating desk: which before/after pair a visitor rates next, which side is "after", the vote.

Which side is "after" lives here, on the server, from the moment a pair is shown until the vote is
in: the page and the API get an opaque ticket and the two summaries as "A" and "B", never the
mapping. The side is an HMAC of the rater and the pair under a server secret (`RLHF_RATING_SECRET`,
else a random one per process): the same browser sees a pair the same way round, about half the
pairs each way, and nobody without the secret can compute it from what the page shows.

A rater is an anonymous per-browser token (a random string the page keeps in its local storage);
ratings.jsonl stores only a hash of it. On a public server (`limits().public`) a browser may rate a
pair once and at most `RLHF_MAX_RATINGS_PER_MINUTE` (default 10) pairs a minute.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass

from rlhf_core.errors import UserError

from .limits import limits
from .run_list import finished_run

RATE_VARIABLE = "RLHF_MAX_RATINGS_PER_MINUTE"
DEFAULT_RATE = 10  # a person reads a dialogue and two summaries in more than 6 s
MAX_TICKETS = 10_000  # pairs shown and not yet voted on, kept server-side (the oldest are forgotten)
TICKET_SECONDS = 6 * 3600  # a pair shown longer ago than this must be fetched again
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,128}")
CHOICES = {"a": "A", "b": "B", "same": "same", "the same": "same"}  # what a page or an API caller may answer


def new_rater() -> str:
    """A fresh anonymous rater token for a browser (random; nothing about the person)."""
    return secrets.token_urlsafe(24)


def rater_id(token: str | None) -> str:
    """What ratings.jsonl stores for a rater: a hash of the browser's token (UserError for a malformed one)."""
    if not isinstance(token, str) or not TOKEN.fullmatch(token):
        raise UserError("the rater token must be 16-128 letters, digits, '-' or '_' (the page makes one for you)")
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def _digest(secret: bytes, *parts: str) -> bytes:
    return hmac.new(secret, "\x1f".join(parts).encode(), hashlib.sha256).digest()


def after_side(rater: str, pair_id: str, secret: bytes) -> str:
    """"A" or "B": where this rater sees the pair's "after" summary (fixed per rater and pair)."""
    return "A" if _digest(secret, "side", rater, pair_id)[0] & 1 else "B"


def rate_limit() -> int:
    """The ratings a browser may cast per minute on a public server (RLHF_MAX_RATINGS_PER_MINUTE)."""
    raw = os.environ.get(RATE_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_RATE
    if not raw.isdigit() or int(raw) < 1:
        raise UserError(f"{RATE_VARIABLE} must be a positive whole number (got {raw!r})")
    return int(raw)


@dataclass(frozen=True)
class Shown:
    """A pair as the page and the API see it before the vote: no word of which side is which."""

    ticket: str
    run_name: str
    dialogue_id: str
    dialogue: str
    summary_a: str
    summary_b: str
    left: int  # pairs of this run the rater has not rated yet, this one included
    pairs: int  # pairs of this run's evaluation that can be rated


@dataclass(frozen=True)
class Reveal:
    """What the vote revealed: which side was "after", the answers, what the classifiers prefer, the figures."""

    run_name: str
    after_side: str
    less_toxic: str  # after / before / same
    more_faithful: str
    classifiers: dict  # {scorer: after / before / same}: the side each finds less toxic
    figures: dict | None  # rlhf_core.evaluation.ratings.human_figures after this vote


@dataclass
class _Ticket:
    run_name: str
    pair: object  # rlhf_core.evaluation.ratings.Pair
    side: str
    rater: str
    issued: float


class RatingDesk:
    """Pairs shown and not yet voted on, skips and recent votes per rater: server memory, shared by
    every visitor (a restart forgets them; the ratings themselves are in each run's ratings.jsonl)."""

    def __init__(self, secret: bytes | None = None, clock=time.monotonic):
        env = os.environ.get("RLHF_RATING_SECRET", "")
        self.secret = secret or (env.encode() if env else secrets.token_bytes(32))
        self.clock = clock
        self._tickets: OrderedDict[str, _Ticket] = OrderedDict()
        self._skipped: dict[tuple[str, str], set[str]] = {}
        self._recent: dict[str, deque] = {}
        self._lock = threading.Lock()

    def order(self, rater: str, pair_ids: list[str]) -> list[str]:
        """This rater's own order of the pairs (raters spread over the dialogues instead of all starting at one)."""
        return sorted(pair_ids, key=lambda pid: _digest(self.secret, "order", rater, pid))

    def next_pair(self, run_name: str | None, token: str | None) -> Shown | None:
        """The next pair of the run's last evaluation this rater has not rated (skipped ones last), or
        None when every pair is rated. UserError when the run cannot be rated (not evaluated, training)."""
        from rlhf_core.evaluation.ratings import rating_pairs, read_ratings

        rater = rater_id(token)
        if not run_name:
            raise UserError("no evaluated run to rate yet: train a run, then evaluate it in Before vs after")
        run = finished_run(run_name)
        pairs = {p.pair_id: p for p in rating_pairs(run.path)}
        if not pairs:
            raise UserError(f"run {run.path.name} has no pair to rate: evaluate it in Before vs after first"
                            if not (run.path / "eval_samples.csv").is_file() else
                            f"every summary of run {run.path.name} is the same before and after: nothing to compare")
        done = {r["pair_id"] for r in read_ratings(run.path) if r["rater"] == rater}
        todo = [pid for pid in self.order(rater, list(pairs)) if pid not in done]
        if not todo:
            return None
        with self._lock:
            _bound(self._skipped)
            skipped = self._skipped.setdefault((rater, run.path.name), set())
            fresh = [pid for pid in todo if pid not in skipped]
            if not fresh:  # every pair left was skipped: show them again, in the same order
                skipped.clear()
                fresh = todo
            pair = pairs[fresh[0]]
            side = after_side(rater, pair.pair_id, self.secret)
            ticket = secrets.token_urlsafe(18)
            self._forget_old()
            self._tickets[ticket] = _Ticket(run.path.name, pair, side, rater, self.clock())
        a, b = (pair.after, pair.before) if side == "A" else (pair.before, pair.after)
        return Shown(ticket, run.path.name, pair.dialogue_id, pair.dialogue, a, b, len(todo), len(pairs))

    def _forget_old(self) -> None:
        now = self.clock()
        while self._tickets and (len(self._tickets) >= MAX_TICKETS
                                 or now - next(iter(self._tickets.values())).issued > TICKET_SECONDS):
            self._tickets.popitem(last=False)

    def _take(self, ticket: str | None, rater: str) -> _Ticket:
        shown = self._tickets.get(ticket or "")
        if shown is None:
            raise UserError("this pair is no longer open for a vote (already rated, or shown too long ago): "
                            "take the next pair")
        if shown.rater != rater:
            raise UserError("this pair was shown to another browser: take your own next pair")
        return shown

    def skip(self, ticket: str | None, token: str | None) -> None:
        """Puts the pair behind every other pair this rater has left (an unreadable pair, say)."""
        rater = rater_id(token)
        with self._lock:
            shown = self._take(ticket, rater)
            del self._tickets[ticket]
            self._skipped.setdefault((rater, shown.run_name), set()).add(shown.pair.pair_id)

    def _check_rate(self, rater: str) -> None:
        """On a public server, refuses a vote beyond the browser's per-minute limit (naming the variable)."""
        if not limits().public:
            return
        most, now = rate_limit(), self.clock()
        _bound(self._recent)
        recent = self._recent.setdefault(rater, deque())
        while recent and now - recent[0] >= 60:
            recent.popleft()
        if len(recent) >= most:
            wait = 60 - (now - recent[0])
            raise UserError(f"too many ratings from this browser: at most {most} a minute on this public server "
                            f"(limit set by {RATE_VARIABLE}); wait {wait:.0f} s and vote again")

    def vote(self, ticket: str | None, less_toxic: str | None, more_faithful: str | None,
             token: str | None) -> Reveal:
        """Records the vote on a shown pair (answers "A", "B" or "the same") in the run's ratings.jsonl
        and reveals which side was "after". A ticket takes one vote; on a public server a browser rates a
        pair once, within the rate limit."""
        from rlhf_core.evaluation.ratings import append_rating, evaluation_step, human_figures, make_rating

        rater = rater_id(token)
        answers = []
        for question, answer in (("less toxic", less_toxic), ("more faithful", more_faithful)):
            choice = CHOICES.get(str(answer or "").strip().lower())
            if choice is None:
                raise UserError(f"answer which summary is {question}: A, B or the same (got {answer!r})")
            answers.append(choice)
        with self._lock:
            shown = self._take(ticket, rater)
            self._check_rate(rater)
            del self._tickets[ticket]  # one vote per ticket, even if writing fails below (take the next pair)
            if limits().public:
                self._recent[rater].append(self.clock())
        side, before = shown.side, "B" if shown.side == "A" else "A"
        named = [{shown.side: "after", before: "before", "same": "same"}[a] for a in answers]
        run = finished_run(shown.run_name)  # not deleted or training since the pair was shown
        rating = make_rating(shown.pair, side, named[0], named[1], rater, evaluation_step(run.path))
        append_rating(run.path, rating, once_per_rater=limits().public)
        classifiers = {scorer: shown.pair.preferred_by(scorer) for scorer in shown.pair.toxicity}
        return Reveal(shown.run_name, side, named[0], named[1], classifiers, human_figures(run.path))


def _bound(memory: dict, most: int = MAX_TICKETS) -> None:
    """Forgets the oldest raters' entries beyond `most`: a flood of fresh tokens cannot fill the memory."""
    while len(memory) >= most:
        memory.pop(next(iter(memory)))


DESK = RatingDesk()


def evaluated(run_name: str | None) -> bool:
    """Whether the run has an evaluation whose pairs can be rated (its eval_samples.csv)."""
    from rlhf_core.training.runs import run_path

    try:
        return bool(run_name) and (run_path(run_name) / "eval_samples.csv").is_file()
    except UserError:
        return False


def figures(run_name: str | None) -> dict | None:
    """The run's human-rating figures (`human_figures`), None without a run or any rating that counts."""
    if not run_name:
        return None
    from rlhf_core.evaluation.ratings import human_figures
    from rlhf_core.training.runs import run_path

    try:
        return human_figures(run_path(run_name))
    except UserError:
        return None
