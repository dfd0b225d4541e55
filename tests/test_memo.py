"""app.memo: reads fetched once per ttl, views reused while their reads are unchanged, one computation at a time."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import pandas as pd
import pytest

from app import memo


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


@pytest.fixture
def world():
    """A fake store (a dict of frames) with counted fetches, a read and a view over it, on a hand-set clock."""
    clock = Clock()
    store = {"AAA": pd.DataFrame({"close": [1.0, 2.0]}), "BBB": pd.DataFrame({"close": [5.0]})}
    calls = {"read": 0, "view": 0}

    @memo.read(ttl=60, clock=clock)
    def bars(ticker):
        calls["read"] += 1
        return store[ticker].copy()

    @memo.view(ttl=600, clock=clock)
    def mean_close(ticker):
        calls["view"] += 1
        return float(bars(ticker)["close"].mean())

    yield clock, store, calls, bars, mean_close
    bars.memo.clear()
    mean_close.memo.clear()


def test_read_is_fetched_once_per_ttl(world):
    clock, _store, calls, bars, _ = world
    bars("AAA"), bars("AAA")
    assert calls["read"] == 1
    clock.now = 61
    bars("AAA")
    assert calls["read"] == 2


def test_view_is_reused_while_its_reads_are_unchanged_even_after_their_ttl(world):
    clock, store, calls, _bars, mean_close = world
    assert mean_close("AAA") == 1.5
    clock.now = 61  # the read is fetched again: same content, so the view is not recomputed
    assert mean_close("AAA") == 1.5
    assert (calls["read"], calls["view"]) == (2, 1)


def test_view_is_recomputed_when_a_read_it_made_changed(world):
    clock, store, calls, _bars, mean_close = world
    mean_close("AAA")
    store["AAA"] = pd.DataFrame({"close": [3.0, 5.0]})
    assert mean_close("AAA") == 1.5  # within the read's ttl: the stored read still stands
    clock.now = 61
    assert mean_close("AAA") == 4.0
    assert calls["view"] == 2


def test_a_write_to_another_ticker_recomputes_nothing(world):
    clock, store, calls, _bars, mean_close = world
    mean_close("AAA")
    store["BBB"] = pd.DataFrame({"close": [9.0]})
    clock.now = 61
    mean_close("AAA")
    assert calls["view"] == 1


def test_a_view_depends_on_the_reads_of_the_views_it_used(world):
    clock, store, calls, bars, mean_close = world
    outer_calls = []

    @memo.view(clock=clock)
    def doubled(ticker):
        outer_calls.append(ticker)
        return 2 * mean_close(ticker)

    assert doubled("AAA") == 3.0
    doubled.memo.clear()
    assert doubled("AAA") == 3.0  # the inner view's hit hands its reads to the outer view
    store["AAA"] = pd.DataFrame({"close": [10.0]})
    clock.now = 61
    assert doubled("AAA") == 20.0
    assert len(outer_calls) == 3
    doubled.memo.clear()


def test_view_ttl_bounds_its_age(world):
    clock, _store, calls, _bars, mean_close = world
    mean_close("AAA")
    clock.now = 601
    mean_close("AAA")
    assert calls["view"] == 2


def test_frames_are_handed_out_as_copies_a_caller_cannot_change_the_cache_through(world):
    _clock, _store, _calls, bars, _ = world
    first = bars("AAA")
    first["close"] = [100.0, 200.0]
    first.loc[0, "close"] = -1.0
    assert bars("AAA")["close"].tolist() == [1.0, 2.0]


def test_scope_is_part_of_a_views_key():
    who = {"scope": "alice"}
    seen = []

    @memo.view(scope=lambda ticker: who["scope"])
    def answer(ticker):
        seen.append(who["scope"])
        return f"{ticker} for {who['scope']}"

    assert answer("AAA") == "AAA for alice"
    who["scope"] = "bob"
    assert answer("AAA") == "AAA for bob"
    who["scope"] = "alice"
    assert answer("AAA") == "AAA for alice"
    assert seen == ["alice", "bob"]
    answer.memo.clear()


def test_concurrent_sessions_compute_a_missing_view_once():
    started = threading.Event()
    calls = []

    @memo.view()
    def slow(x):
        calls.append(x)
        started.set()
        time.sleep(0.2)
        return x * 2

    results = []
    threads = [threading.Thread(target=lambda: results.append(slow(21))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [42] * 8
    assert calls == [21]
    slow.memo.clear()


def test_an_exception_is_not_remembered():
    calls = []

    @memo.view()
    def flaky(x):
        calls.append(x)
        if len(calls) == 1:
            raise RuntimeError("store busy")
        return x

    with pytest.raises(RuntimeError):
        flaky(1)
    assert flaky(1) == 1
    assert len(calls) == 2
    flaky.memo.clear()


def test_clear_forgets_everything(world):
    _clock, _store, calls, _bars, mean_close = world
    mean_close("AAA")
    memo.clear()
    mean_close("AAA")
    assert (calls["read"], calls["view"]) == (2, 2)


@dataclass(frozen=True)
class Settings:
    windows: tuple
    level: float


@pytest.mark.parametrize("value, same", [
    (("db", "AAA", pd.Timestamp("2024-01-02")), ("db", "AAA", pd.Timestamp("2024-01-02"))),
    (Settings(((0, 1),), 0.9), Settings(((0, 1),), 0.9)),
    ({"b": 1, "a": [1, 2]}, {"a": (1, 2), "b": 1}),
    (pd.NaT, pd.NaT),
])
def test_freeze_gives_equal_keys_for_equal_values(value, same):
    assert memo.freeze(value) == memo.freeze(same)
    hash(memo.freeze(value))


@pytest.mark.parametrize("a, b", [
    (pd.Timestamp("2024-01-02"), pd.Timestamp("2024-01-03")),
    (Settings(((0, 1),), 0.9), Settings(((0, 2),), 0.9)),
    (("AAA", None), ("AAA", "")),
])
def test_freeze_tells_different_values_apart(a, b):
    assert memo.freeze(a) != memo.freeze(b)


def test_a_frame_cannot_be_a_key():
    with pytest.raises(TypeError, match="not data"):
        memo.freeze((pd.DataFrame({"a": [1]}),))


@pytest.mark.parametrize("a, b, equal", [
    (pd.DataFrame({"x": [1.0, 2.0]}), pd.DataFrame({"x": [1.0, 2.0]}), True),
    (pd.DataFrame({"x": [1.0, 2.0]}), pd.DataFrame({"x": [1.0, 2.5]}), False),
    (pd.DataFrame({"x": [1.0, 2.0]}), pd.DataFrame({"y": [1.0, 2.0]}), False),
    ({"name": "demo"}, {"name": "demo"}, True),
    ({"name": "demo"}, {"name": "other"}, False),
])
def test_fingerprint_is_the_content(a, b, equal):
    assert (memo.fingerprint(a) == memo.fingerprint(b)) is equal


def test_derived_is_reused_for_the_same_object_and_recomputed_for_a_new_one():
    calls = []

    @memo.derived()
    def table(frame, digits=2):
        calls.append(digits)
        return frame.round(digits)

    a = pd.DataFrame({"x": [1.234, 5.678]})
    first = table(a)
    assert table(a) is not first and table(a).equals(first)  # shared as a copy, computed once
    table(a, digits=1)
    assert calls == [2, 1]
    table(pd.DataFrame({"x": [1.234, 5.678]}))  # a frame is keyed by its content: equal content, reused
    assert calls == [2, 1]
    table(pd.DataFrame({"x": [9.0, 5.678]}))
    assert calls == [2, 1, 2]
    table.memo.clear()


def test_derived_keys_other_objects_by_identity():
    calls = []

    class Account:  # not a dataclass of values: an object a view handed out
        def __init__(self, total):
            self.total = total

    @memo.derived()
    def words(acc):
        calls.append(acc.total)
        return f"{acc.total:.2f}"

    one = Account(1.0)
    assert words(one) == words(one) == "1.00"
    assert words(Account(1.0)) == "1.00"  # another object: a recomputed view's, computed again
    assert calls == [1.0, 1.0]
    words.memo.clear()


def test_a_frame_memo_holds_is_hashed_once_for_derived(monkeypatch):
    hashed = []
    real = memo.fingerprint
    monkeypatch.setattr(memo, "fingerprint", lambda v: hashed.append(1) or real(v))

    @memo.view()
    def series_of(name):
        return {"series": pd.DataFrame({"x": [1.0, 2.0, 3.0]}), "name": name}

    @memo.derived()
    def total(frame):
        return float(frame["x"].sum())

    for _ in range(3):
        assert total(series_of("a")["series"]) == 6.0
    assert len(hashed) == 1  # the view's frame is read-only: its identity stands for its content
    total(pd.DataFrame({"x": [1.0]}))
    total(pd.DataFrame({"x": [1.0]}))
    assert len(hashed) == 3  # a frame of the caller's own is hashed every time
    series_of.memo.clear()
    total.memo.clear()


def test_a_stale_read_is_served_at_once_and_fetched_again_behind():
    clock = Clock()
    store = {"AAA": pd.DataFrame({"close": [1.0]})}
    fetched = []

    @memo.read(ttl=60, stale=60, clock=clock)
    def bars(ticker):
        fetched.append(ticker)
        return store[ticker].copy()

    bars("AAA")
    store["AAA"] = pd.DataFrame({"close": [2.0]})
    clock.now = 61  # past the ttl, within ttl + stale: the old frame now, the new one once fetched behind
    assert bars("AAA")["close"].tolist() == [1.0]
    bars.memo.refresher.join(5)
    assert bars("AAA")["close"].tolist() == [2.0]
    assert fetched == ["AAA", "AAA"]
    clock.now = 61 + 121  # past ttl + stale: fetched in the request
    store["AAA"] = pd.DataFrame({"close": [3.0]})
    assert bars("AAA")["close"].tolist() == [3.0]
    bars.memo.clear()


def test_a_fetch_begun_before_a_clear_is_not_stored_after_it():
    started, release = threading.Event(), threading.Event()
    store = {"v": 1}

    @memo.read()
    def value():
        v = store["v"]
        started.set()
        release.wait(5)
        return v

    t = threading.Thread(target=value)
    t.start()
    started.wait(5)
    store["v"] = 2  # the dashboard wrote...
    memo.clear()    # ...and cleared the memo while the old value was being fetched
    release.set()
    t.join(5)
    started.clear()
    assert value() == 2
    value.memo.clear()
