"""Which runs ``glome challenge`` makes: challenge ids to jobs, each with its exact command line.

A job is one command line of one challenge (6b has two), repeated ``--runs``
times. The flags come from ``glome.challenge.catalog``; ``--time-limit`` replaces the
official time limit for a quick smoke run (the targets are still judged), and
glome's own nodes are judged against glome's targets, another ``--bin``
against the challenge's official ones.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from glome.challenge.catalog import BY_ID, CHALLENGES, Challenge, CommandLine, Targets, command_line
from glome.challenge.judging import Row

ALL = "all"


class PlanError(ValueError):
    """An unknown challenge id; the CLI exits 254."""


@dataclass(frozen=True)
class Job:
    challenge: Challenge
    command: CommandLine
    line: int  # 1-based index of the command line within the challenge
    attempt: int  # 1-based, with --runs N
    binary: str | None  # None: glome's own node for the challenge
    seed: int | None
    sim: bool = False  # run on the virtual clock (glome test --sim)

    @property
    def targets(self) -> Targets:
        return self.challenge.targets if self.binary is None else self.challenge.official

    def test_args(self) -> list[str]:
        """The ``glome test`` / ``maelstrom test`` arguments (without --seed)."""
        flags = command_line(self.challenge, self.command, self.binary)
        return [*flags, "--sim"] if self.sim else flags

    def new_row(self) -> Row:
        return Row(
            challenge=self.challenge.id,
            title=self.challenge.title,
            line=self.line,
            lines=len(self.challenge.command_lines),
            attempt=self.attempt,
            command=["glome", "test", *self.test_args()],
            clock="virtual" if self.sim else "real",
        )


def with_time_limit(command: CommandLine, seconds: int) -> CommandLine:
    """The same command line with its --time-limit value replaced."""
    flags = list(command.flags)
    position = flags.index("--time-limit")
    flags[position + 1] = str(seconds)
    return dataclasses.replace(command, flags=tuple(flags))


def challenges_for(ids: list[str]) -> list[Challenge]:
    """The named challenges in the order given; ``all`` is the whole table in order."""
    chosen: list[Challenge] = []
    for given in ids:
        key = given.lower()
        if key == ALL:
            chosen.extend(CHALLENGES)
        elif key in BY_ID:
            chosen.append(BY_ID[key])
        else:
            known = ", ".join(challenge.id for challenge in CHALLENGES)
            raise PlanError(f"unknown challenge {given!r}: one of {known}, or {ALL}")
    return chosen


def plan(
    ids: list[str],
    runs: int = 1,
    binary: str | None = None,
    seed: int | None = None,
    time_limit: int | None = None,
    sim: bool = False,
) -> list[Job]:
    """Every job, in order; attempt k of a line runs with seed ``seed + k - 1``."""
    jobs = []
    for challenge in challenges_for(ids):
        for line, command in enumerate(challenge.command_lines, start=1):
            if time_limit is not None:
                command = with_time_limit(command, time_limit)
            for attempt in range(1, runs + 1):
                attempt_seed = None if seed is None else seed + attempt - 1
                jobs.append(Job(challenge, command, line, attempt, binary, attempt_seed, sim))
    return jobs
