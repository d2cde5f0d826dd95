"""One ``glome test`` run, start to finish (docs/maelstrom.md §1).

Services, node processes and init; client setup; the generator's phases; the
history written while the nodes still run, as Jepsen writes it before tearing
its DB down (their messages meanwhile are routed and counted); teardown (a
node that exited early aborts the run with Maelstrom's crash report); then
analysis and the rest of the store. Every child process is killed on the
way out, whatever happens. SIGINT or SIGTERM ends the run early: the nodes
are killed, and the history so far is stored with results that say the run
was interrupted (``valid?`` unknown, the signal under ``glome``).
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from glome import _fast, simulation
from glome.bench import results as store_results
from glome.bench.aborted import TestAborted
from glome.bench.checkers import availability, compose, exceptions, faults, perf, stats, timeline
from glome.bench.checkers import net as net_checker
from glome.bench.client import Client, ClientError, IdleBacklog
from glome.bench.explain import explain_verdict
from glome.bench.generator import History, Scheduler
from glome.bench.history import UNKNOWN, CheckContext, Checker, Op
from glome.bench.loop import Loop, delivery_priority, gather, sleep_until, spawn
from glome.bench.nemesis import (
    KILLED,
    PAUSED,
    PROCESS_FAULTS,
    RESUMED,
    STARTED,
    Nemesis,
    PartitionNemesis,
    ProcessNemesis,
)
from glome.bench.net import JOURNAL_FILE, Journal, Latency, Network
from glome.bench.options import TestOptions
from glome.bench.process import NodeCrashed, NodeProcess
from glome.bench.progress import Progress
from glome.bench.services import start_services
from glome.bench.simulation import SimulatedNode, VirtualLoop, announces, refusal
from glome.bench.workloads import Workload, create

INIT_TIMEOUT_S = 10.0
HISTORY_POLL_NS = 1_000_000  # how often the loop looks whether the history is written
HISTORY_SWITCH_S = 0.0005  # the GIL switch interval while it is written
EXIT_CHECK_DELAY_NS = 50_000_000


class Interrupted(BaseException):
    """SIGINT or SIGTERM: the run stops and keeps what it has.

    A BaseException, as KeyboardInterrupt is, so that no handler meant for a
    node's or a checker's errors swallows it.
    """

    def __init__(self, signum: int) -> None:
        self.signal_name = signal.Signals(signum).name
        #: 128 + the signal number, what a shell reports for a process the signal
        #: killed (130 for SIGINT, 143 for SIGTERM) and what Maelstrom's JVM exits with
        self.exit_code = 128 + signum
        super().__init__(self.signal_name)


class SignalGuard:
    """Turns the first SIGINT or SIGTERM into ``Interrupted``, where that is safe.

    Inside ``deferred()`` (starting or killing nodes) the signal waits until the
    block ends, so that no node is started unrecorded or left alive half-way
    through the teardown. Every later signal is ignored: the cleanup it would
    cut short is what kills the nodes, and it is bounded.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.received: int | None = None
        self._raised = False
        self._depth = 0
        self._previous: dict[int, Any] = {}

    def install(self) -> None:
        for signum in self.SIGNALS:
            self._previous[signum] = signal.signal(signum, self._handle)

    def restore(self) -> None:
        """Put the previous handlers back -- unless interrupted: then the process is on
        its way out, and a later signal must not kill it before it says why."""
        for signum, handler in self._previous.items():
            signal.signal(signum, handler if self.received is None else signal.SIG_IGN)
        self._previous = {}

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        if self.received is None:
            self.received = signum
            self._raise_unless_deferred()

    def _raise_unless_deferred(self) -> None:
        if self.received is not None and not self._depth and not self._raised:
            self._raised = True
            raise Interrupted(self.received)

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
        self._raise_unless_deferred()


def seeded(seed: int, concern: str) -> random.Random:
    """One independent, reproducible random stream per concern of the test."""
    return random.Random(f"{seed}:{concern}")


@dataclass
class Outcome:
    """What a run produced: the exit code and, if it got that far, the store and results."""

    exit_code: int
    store: Path | None = None
    results: dict[str, Any] | None = None
    glome: dict[str, Any] = field(default_factory=dict)
    explanation: str | None = None  # an invalid run's evidence (bench/explain.py)
    history: list[Op] = field(default_factory=list)  # the ops the checkers judged


def checker_for(
    workload: Workload, options: TestOptions
) -> Callable[[list[Op], CheckContext], dict[str, Any]]:
    """Maelstrom's composed checker, plots (perf, timeline, messages.svg) included, and
    glome's ``nemesis`` key when the run killed or paused nodes."""
    checkers: dict[str, Checker] = {
        "perf": perf.check,
        "timeline": timeline.check,
        "exceptions": exceptions.check,
        "stats": stats.check,
        "availability": availability.check,
        "net": net_checker.check,
        "workload": workload.check,
    }
    if any(fault in options.nemesis for fault in PROCESS_FAULTS):
        checkers["nemesis"] = faults.check
    return compose(checkers)


class Run:
    """State of one test run on one event loop."""

    def __init__(
        self,
        options: TestOptions,
        console: TextIO,
        store_root: Path = store_results.STORE_ROOT,
        guard: SignalGuard | None = None,
    ) -> None:
        self.options = options
        self.console = console
        self.store_root = store_root
        #: the run's clock: real time, or virtual under --sim (docs/simulation.md)
        self.clock = "virtual" if options.sim else "real"
        self.loop: Loop = VirtualLoop(options.sim_step_timeout) if options.sim else Loop()
        #: nodes whose timers asked for a step (virtual time only), in the order asked
        self._woken: dict[str, None] = {}
        self.nodes: list[NodeProcess] = []
        self.nodes_by_id: dict[str, NodeProcess] = {}
        self.poisoned: list[dict[str, str]] = []
        self._client_ids = itertools.count()
        # Maelstrom runs nodes in the JVM's temp directory (normally /tmp).
        self.workdir = tempfile.gettempdir()
        self.progress: Progress | None = None
        self.guard = guard or SignalGuard()
        self.store: Path | None = None
        self.journal: Journal | None = None
        self.scheduling = "ordinary"
        self.lateness: dict[str, Any] = {}  # the network's, when the generator finished
        self.scheduler_started = False
        self.loop_cpu_s = 0.0
        self.analysing = False

    def say(self, text: str) -> None:
        if self.progress is not None:
            self.progress.clear()
        print(text, file=self.console, flush=True)

    # -- the run ----------------------------------------------------------
    def execute(self) -> Outcome:
        history = History(self.loop.now)
        try:
            workload = create(
                self.options.workload, self.options, seeded(self.options.seed, "workload")
            )
            workload.clock = self.loop.now
            self._run(workload, history)
            self.analysing = True
            return self._analyze(workload, history.ops)
        except Interrupted as interruption:
            return self._interrupted(interruption, history.ops)

    def _run(self, workload: Workload, history: History) -> None:
        options = self.options
        self.store = store_results.create_store(options.workload, self.store_root)
        store_results.write_test(self.store, {"options": options.to_dict()})
        journal = Journal(self.store / JOURNAL_FILE)
        self.net = Network(
            self.loop,
            Latency(options.latency, options.latency_dist, seeded(options.seed, "latency")),
            journal,
            log=self.say,
            log_send=options.log_net_send,
            log_recv=options.log_net_recv,
            # virtual time: the loop's clock, and pipes written once per step
            clock=self.loop.now if options.sim else None,
            after_release=None if options.sim else self._flush_nodes,
            # a paused node answers requests its clients gave up on: see docs/faults.md
            forgive_late_replies="pause" in options.nemesis,
        )
        self.journal = journal  # from here on, the teardown has a network to tear down
        start_services(self.net, seeded(options.seed, "services"))
        self.idle_backlog = IdleBacklog(self.net, self.say)
        self.loop.add_tick_hook(self._flush_nodes)
        self.loop.add_tick_hook(self.idle_backlog.check)
        if isinstance(self.loop, VirtualLoop):
            self.loop.add_settle_hook(self._route_steps)
        gc.disable()  # a full collection mid-run would stall deliveries for milliseconds
        priority = contextlib.nullcontext("virtual") if options.sim else delivery_priority()
        with priority as self.scheduling:
            try:
                with self.guard.deferred():  # every node started is recorded, to be killed
                    self._start_nodes()
                self.loop.run_until(spawn(self.loop, self._init_nodes()))
                history.start_clock()
                cpu_started = time.process_time()
                setup_clients = {node: self._open_client() for node in options.nodes}
                self._setup(workload, setup_clients)
                scheduler = self._scheduler(workload, history)
                self.scheduler_started = True
                self.progress = Progress.start(
                    self.loop, self.console, options, history, self.net, scheduler
                )
                self.loop.run_until(spawn(self.loop, scheduler.run()))
                self.loop_cpu_s = time.process_time() - cpu_started
                if self.progress:
                    self.progress.stop()
                for client in setup_clients.values():
                    client.close()
                self.net.heal()
                self.lateness = self.net.lateness()  # the run's: the window below has no ops
                self._write_history_while_nodes_run(history.ops)
                self._check_crashes()  # after the history, as Maelstrom's teardown
            except ClientError as error:
                raise TestAborted(str(error)) from error
            finally:
                with self.guard.deferred():
                    self._tear_down()

    def _tear_down(self) -> None:
        """Stop the progress line, close the journal and kill the nodes; safe to repeat."""
        gc.enable()
        if self.progress:
            self.progress.stop()
        if self.journal is not None:
            self.net.flush_journal()
            self.journal.close()
        if not self.options.leave_db_running:
            self.kill_nodes()

    def _setup(self, workload: Workload, clients: dict[str, Client]) -> None:
        """The workload's client setup (broadcast's topology); any failure aborts the test."""
        try:
            self.loop.run_until(spawn(self.loop, workload.setup(clients)))
        except NodeCrashed:
            raise
        except Exception as error:
            raise TestAborted(f"Client setup failed: {error}") from error

    def _scheduler(self, workload: Workload, history: History) -> Scheduler:
        options = self.options
        return Scheduler(
            self.loop,
            workload,
            list(options.nodes),
            options.concurrency,
            self._open_client,
            history,
            seeded(options.seed, "generator"),
            options.rate,
            options.time_limit,
            nemeses=self._nemeses(),
            nemesis_interval_s=options.nemesis_interval,
            log=self.say,
        )

    def _nemeses(self) -> list[tuple[Nemesis, random.Random]]:
        """The fault packages asked for, in Jepsen's order (partition, then the process
        faults), each with its own random streams (docs/faults.md)."""
        options, nodes = self.options, list(self.options.nodes)
        packages: list[tuple[Nemesis, random.Random]] = []
        if "partition" in options.nemesis:
            partition = PartitionNemesis(self.net, nodes, seeded(options.seed, "nemesis"))
            packages.append((partition, seeded(options.seed, "nemesis-schedule")))
        faults = [fault for fault in PROCESS_FAULTS if fault in options.nemesis]
        if faults:
            control = ProcessControl(self)
            process = ProcessNemesis(control, nodes, faults, seeded(options.seed, "process"))
            packages.append((process, seeded(options.seed, "process-schedule")))
        return packages

    def _open_client(self) -> Client:
        client = Client(self.loop, self.net, f"c{next(self._client_ids)}")
        self.idle_backlog.watch(client)
        return client

    # -- nodes ------------------------------------------------------------
    def _start_nodes(self) -> None:
        assert self.store is not None  # _run creates the store first
        argv = [resolve_bin(self.options.bin), *self.options.bin_args]
        self.say(f"launching {' '.join(argv)}")
        echo = self.say if self.options.log_stderr else None
        for node_id in self.options.nodes:
            node = self._node_process(
                node_id,
                argv,
                self.workdir,
                self.store / "node-logs" / f"{node_id}.log",
                self.loop,
                self.net,
                self._poisoned,
                self._stdout_closed,
                echo,
                self._overflowing,
                env=self._node_environment(node_id),
            )
            self.nodes.append(node)
            self.nodes_by_id[node_id] = node
            node.start()

    def _node_process(self, *args: Any, **kwargs: Any) -> NodeProcess:
        if self.options.sim:
            return SimulatedNode(*args, request_step=self._step_requested, **kwargs)
        return NodeProcess(*args, **kwargs)

    def _node_environment(self, node_id: str) -> dict[str, str]:
        """The bench's environment; under --sim, with the protocol's variables set (and a
        fixed PYTHONHASHSEED, for Python nodes' set order), else with them removed."""
        env = {
            name: value for name, value in os.environ.items() if name not in simulation.ENV_NAMES
        }
        if self.options.sim:
            env[simulation.ENV_VERSION] = str(simulation.VERSION)
            env[simulation.ENV_SEED] = str(self.options.seed)
            env[simulation.ENV_NODE] = node_id
            env["PYTHONHASHSEED"] = "0"
        return env

    def _step_requested(self, node: SimulatedNode) -> None:
        self._woken[node.node_id] = None

    def _route_steps(self) -> None:
        """Route the output of the step that just ended, node by node in the node list's
        order, whatever order the processes finished in (virtual time only)."""
        for node in self.nodes:
            if isinstance(node, SimulatedNode) and node.has_step_output:
                node.route_step()

    async def _init_nodes(self) -> None:
        clients = [(node, self._open_client()) for node in self.options.nodes]
        calls = [spawn(self.loop, self._init(node, client)) for node, client in clients]
        try:
            await gather(self.loop, calls)
        finally:
            for _, client in clients:
                client.close()

    async def _init(self, node: str, client: Client) -> None:
        body = {"type": "init", "node_id": node, "node_ids": list(self.options.nodes)}
        try:
            reply = await client.call(node, body, INIT_TIMEOUT_S)
        except ClientError as error:
            if error.data.get("type") == "timeout":
                raise TestAborted(
                    f"Expected node {node} to respond to an init message, but node did not respond."
                ) from error
            raise TestAborted(f"Node {node} answered init with an error: {error.data}") from error
        if reply.get("type") != "init_ok":
            raise TestAborted(f"Expected an init_ok message, but node responded with {reply}")
        if self.options.sim and not announces(reply):
            raise refusal(node, str(reply))

    def _poisoned(self, node_id: str, text: str) -> None:
        self.poisoned.append({"node": node_id, "error": text})
        self.say(
            f"\nWARNING: glome stops reading {node_id}'s STDOUT for the rest of the test, as "
            f"Maelstrom does after an error on a node's output line. Everything {node_id} prints "
            f"from now on is ignored. The error:\n{text}\n"
        )

    def _overflowing(self, node: NodeProcess) -> None:
        self.say(
            f"\nWARNING: {node.node_id} is not reading its STDIN: {node.stdin_backlog} bytes of "
            f"messages wait for it. Maelstrom would queue every further message without limit "
            f"(and grow until it runs out of memory); glome keeps its memory bounded by "
            f"discarding messages to {node.node_id} while this backlog is full. They are counted "
            f"under glome.stdin-overflow in the results.\n"
        )

    def _stdout_closed(self, node: NodeProcess) -> None:
        """A node closed its stdout. If it exited before the generator started, the run
        is over at once (Maelstrom would first wait out init's 10 s timeout). Later, as
        in Maelstrom, the run goes on (requests to the node time out), the history is
        written, and the teardown aborts with the crash report (docs/maelstrom.md §3.4)."""

        def check() -> None:
            status = node.exited()
            if status is None:
                return
            if self.scheduler_started:
                self.say(
                    f"\nWARNING: {node.node_id} exited with status {status}. As Maelstrom does, "
                    "the test runs on (requests to it time out) and aborts at teardown, "
                    "without analysis (exit 255).\n"
                )
                return
            note = (
                "\n(glome aborts as soon as a node exits before the test starts; Maelstrom "
                "would first wait out init's 10 s timeout: docs/protocol.md)"
            )
            self.loop.fail(NodeCrashed(node.crash_report(status) + note))

        self.loop.call_at(self.loop.now() + EXIT_CHECK_DELAY_NS, check)

    def _write_history_while_nodes_run(self, ops: list[Op]) -> None:
        """Write the history in a thread while the loop keeps routing: Jepsen saves it
        before the DB teardown, and Maelstrom's network routes and journals the nodes'
        messages meanwhile, so they count in msgs-per-op. Virtual time takes none."""
        store = self.store
        assert store is not None  # _run creates the store first
        if self.options.sim:
            store_results.write_history(store, ops)
            return
        failure: list[BaseException] = []

        def write() -> None:
            try:
                store_results.write_history(store, ops)
            except BaseException as error:  # re-raised on the loop's thread
                failure.append(error)

        async def until_written() -> None:
            while writer.is_alive():
                await sleep_until(self.loop, self.loop.now() + HISTORY_POLL_NS)

        writer = threading.Thread(target=write, name="glome-history-writer")
        switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(HISTORY_SWITCH_S)  # the loop keeps its deliveries on time
        try:
            writer.start()
            self.loop.run_until(spawn(self.loop, until_written()))
        finally:
            writer.join()
            sys.setswitchinterval(switch_interval)
        if failure:
            raise failure[0]

    def _check_crashes(self) -> None:
        for node in self.nodes:
            status = node.exited()
            if status is not None:
                raise NodeCrashed(node.crash_report(status))

    def _flush_nodes(self) -> None:
        """One write per node and tick, for whatever the network delivered to it (under
        --sim: one step per node and tick, for its deliveries and its due timers)."""
        names = self.net.pending()
        if self._woken:
            names = list(dict.fromkeys([*names, *self._woken]))
            self._woken.clear()
        for node_id in names:
            node = self.nodes_by_id.get(node_id)
            if node is not None:
                node.flush()

    def kill_nodes(self) -> None:
        for node in self.nodes:
            node.kill()
        self.loop.close()

    # -- analysis ---------------------------------------------------------
    def _analyze(self, workload: Workload, history: list[Op]) -> Outcome:
        assert self.store is not None  # _run created the store
        net_stats = self.net.stats()
        glome = {
            "seed": self.options.seed,
            "lateness": self.lateness,
            "poisoned-nodes": self.poisoned,
            "stdin-overflow": [
                {
                    "node": node.node_id,
                    "discarded-messages": node.discarded_messages,
                    "discarded-bytes": node.discarded_bytes,
                }
                for node in self.nodes
                if node.discarded_messages
            ],
            "idle-client-drops": self.idle_backlog.dropped,
            "late-replies-dropped": self.net.late_replies_dropped,
            "messages": self.net.next_id,
            "core": _fast.BACKEND,  # which routing core ran: "compiled" or "pure"
            "scheduling": self.scheduling,  # "realtime" when the loop ran ahead of the nodes
            "clock": self.clock,
            # the bench's own CPU while the workload ran (nodes not included): its cost
            # per delivered message is this over net-stats' recv-count (docs/maelstrom.md §9.7)
            "loop-cpu-s": round(self.loop_cpu_s, 3),
        }
        store_results.write_test(
            self.store, {"options": self.options.to_dict(), "net-stats": net_stats, "glome": glome}
        )
        return analyze(self.store, workload, history, net_stats, glome, self.options)

    def _interrupted(self, interruption: Interrupted, history: list[Op]) -> Outcome:
        """Kill the nodes, then keep what the run has: the history so far and results
        that say only that there is no verdict (Maelstrom's keys, glome's under glome)."""
        with self.guard.deferred():
            if self.journal is not None:
                self._tear_down()
        glome = {
            "interrupted": interruption.signal_name,
            "seed": self.options.seed,
            "clock": self.clock,
            "history-ops": len(history),
            "poisoned-nodes": self.poisoned,
        }
        if self.store is None:  # interrupted before the store existed: nothing to keep
            return Outcome(interruption.exit_code, glome=glome)
        if not self.analysing:  # else the run was over, and glome analyze may redo the analysis
            store_results.write_test(
                self.store, {"options": self.options.to_dict(), "glome": glome}
            )
        store_results.write_history(self.store, history)
        results = {"glome": glome, "valid?": UNKNOWN}
        store_results.write_results(self.store, results)
        return Outcome(interruption.exit_code, self.store, results, glome)


class ProcessControl:
    """The process nemesis's hands: kill, restart, pause and resume node processes, each
    answering what happened to the node for the history."""

    def __init__(self, run: Run) -> None:
        self.run = run

    def kill(self, node_id: str) -> str:
        node = self.run.nodes_by_id[node_id]
        if node.down:
            return "already-dead"
        with self.run.guard.deferred():
            node.crash()
        return KILLED

    async def restart(self, node_id: str) -> str:
        """A fresh process with the same node id, which gets ``init`` again; done when it
        answers (no answer aborts the test, as at the start)."""
        node = self.run.nodes_by_id[node_id]
        if not node.down:
            return "already-running"
        with self.run.guard.deferred():  # a started process is always one the run knows
            node.start()
        client = self.run._open_client()
        try:
            await self.run._init(node_id, client)
        finally:
            client.close()
        return STARTED

    def pause(self, node_id: str) -> str:
        node = self.run.nodes_by_id[node_id]
        if node.down:
            return "not-running"
        if node.paused:
            return "already-paused"
        node.pause()
        return PAUSED

    def resume(self, node_id: str) -> str:
        node = self.run.nodes_by_id[node_id]
        if not node.paused:
            return "not-paused"
        node.resume()
        return RESUMED


def analyze(
    store: Path,
    workload: Workload,
    history: list[Op],
    net_stats: dict[str, dict[str, int]],
    glome: dict[str, Any],
    options: TestOptions,
) -> Outcome:
    """Run the checkers, write results.json/.edn, and pick the exit code."""
    ctx = CheckContext(
        options=options, store=store, net_stats=net_stats, plots=not options.no_plots
    )
    started = time.monotonic()
    results = checker_for(workload, options)(history, ctx)
    valid = results.pop("valid?")
    results["glome"] = {**glome, "analysis-s": round(time.monotonic() - started, 3)}
    results["valid?"] = valid
    store_results.write_results(store, results)
    # a lean run (--no-plots, as sweeps run) draws no evidence either; its full rerun does
    explanation = None if options.no_plots else explain_verdict(store, results)
    return Outcome(store_results.exit_code(valid), store, results, glome, explanation, history)


def resolve_bin(path: str) -> str:
    """Maelstrom runs the canonical absolute path of --bin.

    Beyond Maelstrom, a bare command name that is not a file in the working
    directory is looked up on PATH, so installed nodes run as ``--bin glome-echo``.
    """
    resolved = os.path.realpath(path)
    if not os.path.isfile(resolved) and os.sep not in path:
        on_path = shutil.which(path)
        if on_path is not None:
            resolved = os.path.realpath(on_path)
    if not os.path.isfile(resolved):
        raise TestAborted(f"--bin {path}: no such file (nor a command on PATH)")
    if not os.access(resolved, os.X_OK):
        raise TestAborted(f"--bin {path}: not executable")
    return resolved


def run(
    options: TestOptions,
    console: TextIO = sys.stdout,
    store_root: Path = store_results.STORE_ROOT,
    guard: SignalGuard | None = None,
) -> Outcome:
    return Run(options, console, store_root, guard).execute()
