"""Many writers at once, on SQLite and on PostgreSQL: nothing lost, one winner per parent, no gaps.

Each writer has a Store of its own (its own engine and connections), as separate servers or
processes would; a barrier starts them together.
"""

from __future__ import annotations

import threading
from collections import Counter

from accord.scenario import from_arrays
from accord.store import Conflict, Store


def pair(k: float = 1.0, title: str = "pair"):
    return from_arrays([1, k], [[0], [100]], [[1], [0.5]], title=title)


def together(n: int, work) -> list:
    """Run ``work(i)`` in ``n`` threads started at once; their results (or exceptions) by i."""
    barrier = threading.Barrier(n)
    out: list = [None] * n

    def run(i):
        barrier.wait()
        try:
            out[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - the test looks at every outcome
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return out


def test_twenty_concurrent_new_scenarios_all_land(store_url):
    Store(store_url).close()  # created once, so the writers race on saves, not on creating tables
    stores = [Store(store_url) for _ in range(20)]
    try:
        infos = together(20, lambda i: stores[i].create_scenario(pair(1 + i, f"writer {i}")))
        assert all(not isinstance(x, Exception) for x in infos), infos
        ids = [x.scenario_id for x in infos]
        assert len(set(ids)) == 20
        listed = {s.id: s.title for s in stores[0].list_scenarios()}
        assert listed == {x.scenario_id: f"writer {i}" for i, x in enumerate(infos)}
        for i, x in enumerate(infos):
            scenario, info = stores[0].load(x.scenario_id)
            assert info.number == 1 and scenario.actor("a1").capability == 1 + i
    finally:
        for s in stores:
            s.close()


def test_concurrent_versions_from_one_parent_one_winner_clear_conflicts(store_url):
    first = Store(store_url)
    sid = first.create_scenario(pair()).scenario_id
    stores = [Store(store_url) for _ in range(12)]
    try:
        outcomes = together(12, lambda i: stores[i].save(sid, pair(2 + i), parent=1, message=f"writer {i}"))
        winners = [o for o in outcomes if not isinstance(o, Exception)]
        losers = [o for o in outcomes if isinstance(o, Exception)]
        assert len(winners) == 1 and winners[0].number == 2
        assert all(isinstance(e, Conflict) for e in losers), losers
        assert all(e.parent == 1 and e.latest == 2 and "not saved" in str(e) for e in losers)
        assert [v.number for v in first.versions(sid)] == [2, 1]
        assert first.versions(sid)[0].message == winners[0].message
    finally:
        for s in stores:
            s.close()
        first.close()


def test_writers_that_retry_after_conflicts_leave_no_gaps(store_url):
    """Eight writers each save five versions of one scenario, reloading after every conflict."""
    first = Store(store_url)
    sid = first.create_scenario(pair()).scenario_id
    stores = [Store(store_url) for _ in range(8)]

    def writer(i):
        store, saved, conflicts = stores[i], 0, 0
        while saved < 5:
            parent = store.latest_number(sid)
            try:
                store.save(sid, pair(1 + saved), parent=parent, message=f"writer {i} save {saved}")
                saved += 1
            except Conflict as exc:
                assert exc.latest > parent
                conflicts += 1
        return conflicts

    try:
        outcomes = together(8, writer)
        assert all(isinstance(o, int) for o in outcomes), outcomes
        numbers = [v.number for v in first.versions(sid)]
        assert numbers == list(range(41, 0, -1))
        by_writer = Counter(v.message.split(" save ")[0] for v in first.versions(sid) if v.number > 1)
        assert by_writer == {f"writer {i}": 5 for i in range(8)}
    finally:
        for s in stores:
            s.close()
        first.close()


def test_stores_opened_at_once_on_a_new_database_create_it_once(store_url):
    outcomes = together(6, lambda i: Store(store_url))
    try:
        assert all(isinstance(o, Store) for o in outcomes), outcomes
        outcomes[0].create_scenario(pair())
        assert [len(s.list_scenarios()) for s in outcomes] == [1] * 6
    finally:
        for s in outcomes:
            if isinstance(s, Store):
                s.close()


def test_one_store_shared_by_threads(store_url):
    """The web app's case: one Store, its connection pool, many request threads."""
    store = Store(store_url)
    sid = store.create_scenario(pair()).scenario_id
    try:
        made = together(16, lambda i: store.create_scenario(pair(i + 1, f"t{i}")).scenario_id)
        saved = together(16, lambda i: store.save(sid, pair(i + 1), parent=1))
        assert all(isinstance(x, int) for x in made) and len(set(made)) == 16
        assert sum(not isinstance(x, Exception) for x in saved) == 1
        assert all(isinstance(x, Conflict) for x in saved if isinstance(x, Exception))
    finally:
        store.close()
