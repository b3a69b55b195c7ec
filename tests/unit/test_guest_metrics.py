"""The guest's metrics: CPU and memory of the engine's processes (children included) from
/proc, connections and a query rate from the engine's counters, each None when it cannot be
read, and never a heartbeat lost for them."""
import os
import subprocess
import sys
import time
import types

import pytest

from api_service.guestagent import metrics
from api_service.guestagent import service

# An idle parent whose child burns CPU: only counting children shows the load.
BUSY_CHILD = ('import subprocess, sys; subprocess.Popen([sys.executable, "-c", '
              '"while True: pass"]).wait()')


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class Engine:
    """What the sampler asks of a manager: its pid and its counters."""

    def __init__(self, pid, connections=3, queries=100):
        self._pid, self.counters, self.failing = pid, {'connections': connections,
                                                        'queries': queries}, None

    def pid(self):
        return self._pid

    def activity(self):
        if self.failing:
            raise self.failing
        return dict(self.counters)


@pytest.fixture
def busy():
    process = subprocess.Popen([sys.executable, '-c', BUSY_CHILD])
    deadline = time.monotonic() + 10
    while not metrics.children(process.pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    yield process
    for child in metrics.children(process.pid):
        subprocess.run(['kill', '-9', str(child)])
    process.kill()
    process.wait()


def test_the_query_rate_is_the_counters_difference_over_the_time_between_samples(busy):
    clock = Clock()
    engine, sampler = Engine(busy.pid), metrics.Sampler(clock)
    first = sampler.sample(engine)
    assert first['connections'] == 3 and first['memory_bytes'] > 0
    assert first['queries_per_second'] is None and first['cpu_percent'] is None
    clock.now += 10
    engine.counters.update(queries=175, connections=8)
    second = sampler.sample(engine)
    assert second['queries_per_second'] == 7.5 and second['connections'] == 8


def test_cpu_counts_the_engines_children(busy):
    clock = Clock()
    sampler, engine = metrics.Sampler(clock), Engine(busy.pid)
    sampler.sample(engine)
    started = metrics.process_figures(busy.pid)[0]
    deadline = time.monotonic() + 30        # the child gets its CPU time even on a busy host
    while metrics.process_figures(busy.pid)[0] < started + 20 and time.monotonic() < deadline:
        time.sleep(0.05)
    clock.now += 10
    cpu = sampler.sample(engine)['cpu_percent']
    # At least 20 ticks in 10 s; the idle parent's own ticks are not where they came from.
    assert cpu is not None and cpu >= 100.0 * 20 / metrics.CLOCK_TICKS / 10
    own = metrics._cpu_ticks(metrics._stat_fields(busy.pid))
    assert own < 20


def test_a_counter_that_cannot_be_read_is_none_and_the_others_are_still_reported(busy):
    clock = Clock()
    engine, sampler = Engine(busy.pid), metrics.Sampler(clock)
    sampler.sample(engine)
    engine.failing = ConnectionError('engine busy')
    clock.now += 5
    figures = sampler.sample(engine)
    assert figures['connections'] is None and figures['queries_per_second'] is None
    assert figures['memory_bytes'] > 0 and figures['cpu_percent'] is not None


def test_a_stopped_or_restarted_engine_has_no_rates():
    clock = Clock()
    sampler = metrics.Sampler(clock)
    assert sampler.sample(Engine(None)) == dict.fromkeys(
        ('cpu_percent', 'memory_bytes', 'connections', 'queries_per_second'))
    sampler.sample(Engine(os.getpid()))
    clock.now += 5
    restarted = sampler.sample(Engine(os.getppid(), queries=5))      # another process
    assert restarted['queries_per_second'] is None and restarted['cpu_percent'] is None


class Reporter:
    def __init__(self):
        self.beats = []

    def heartbeat(self, engine_status, used_bytes, last_rollback=None, metrics=None):
        self.beats.append((engine_status, metrics))


class RunningEngine(Engine):
    capabilities = frozenset()

    def is_running(self):
        return True

    def stopped_on_request(self):
        return False

    def data_size_bytes(self):
        return 4096


def test_every_heartbeat_carries_the_sample_even_when_the_engine_does_not_answer(busy):
    engine = RunningEngine(busy.pid)
    conf = types.SimpleNamespace(restart_failed_engines=True, heartbeat_interval=5,
                                 instance_id='i-1', run_dir='/nonexistent')
    guest = service.GuestEndpoint(engine, Reporter(), conf)
    guest._heartbeat()
    engine.failing = TimeoutError()
    guest._heartbeat()
    (status1, first), (status2, second) = guest.reporter.beats
    assert status1 == status2 == 'HEALTHY'
    assert first['connections'] == 3 and second['connections'] is None
    assert second['memory_bytes'] > 0
