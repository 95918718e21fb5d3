"""The gateway's own garbage-collection schedule (monitor/collector.py), on the real collector."""

from __future__ import annotations

import gc
import weakref

import pytest

from lantern.monitor.collector import ScheduledCollector, paused


class Node:
    def __init__(self) -> None:
        self.partner: Node | None = None


def test_automatic_collection_stops_but_cycles_are_still_collected_on_the_schedule() -> None:
    collector = ScheduledCollector(young_every_s=0.0, full_every_s=3600.0)
    collector.begin()
    try:
        assert not gc.isenabled()
        a, b = Node(), Node()
        a.partner, b.partner = b, a  # a cycle: reference counting alone never frees it
        gone = weakref.ref(a)
        del a, b
        assert gone() is not None  # nothing collects it behind the gateway's back
        collector.tick()
        assert gone() is None
        assert collector.passes == 1
    finally:
        collector.end()
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_a_tick_before_the_pass_is_due_does_nothing() -> None:
    collector = ScheduledCollector(young_every_s=3600.0, full_every_s=7200.0)
    collector.begin()
    try:
        a, b = Node(), Node()
        a.partner, b.partner = b, a
        gone = weakref.ref(a)
        del a, b
        collector.tick()
        assert gone() is not None and collector.passes == 0
    finally:
        collector.end()
    gc.collect()
    assert gone() is None


def test_a_paused_block_collects_nothing_and_gives_collection_back_even_on_error() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError), paused():
        assert not gc.isenabled()
        raise RuntimeError("a batch failed")
    assert gc.isenabled()


def test_a_pause_inside_a_scheduled_process_leaves_collection_off() -> None:
    collector = ScheduledCollector()
    collector.begin()
    try:
        with paused():
            pass
        assert not gc.isenabled()  # the gateway's own schedule still rules
    finally:
        collector.end()
