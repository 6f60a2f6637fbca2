"""Where a server spends its time during one scenario: py-spy samples the running
``passgate serve`` process (no restart, no instrumentation in the code under test) and the
collapsed stacks are reduced to the top frames, inclusive and self.

``make bench`` profiles the scenarios whose target is not met, so BENCHMARKS.md shows what
remains and whose code it is (passgate's, Strawberry's, the driver's, the event loop's).
py-spy needs ptrace on the process (same user; root or ``kernel.yama.ptrace_scope=0``);
without it the profile is skipped with a message.
"""

import os
import shutil
import signal
import subprocess
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Profile:
    label: str
    samples: int = 0
    inclusive: Counter[str] = field(default_factory=Counter)
    own: Counter[str] = field(default_factory=Counter)
    error: str = ""

    def top(self, n: int = 10) -> str:
        """Self time by component (whose code it is), the heaviest frames by self time, and
        passgate's own frames by inclusive time (where in our code the time goes)."""
        if self.error:
            return f"{self.label}: no profile ({self.error})"
        if not self.samples:
            return f"{self.label}: no samples"
        share = self.samples
        by_component: Counter[str] = Counter()
        for frame, count in self.own.items():
            by_component[_component(frame)] += count
        lines = [f"{self.label}: {share:,} samples; self time by component: " + ", ".join(
            f"{name} {count / share:.0%}" for name, count in by_component.most_common(7))]
        lines.append("  self   frame")
        for frame, count in self.own.most_common(n):
            lines.append(f"  {count / share:4.0%}   {frame}")
        ours = [(f, c) for f, c in self.inclusive.most_common()
                if _component(f) == "passgate" and not f.startswith(_WRAPPERS)]
        lines.append("  passgate frames, inclusive")
        for frame, count in ours[:n]:
            lines.append(f"  {count / share:4.0%}   {frame}")
        return "\n".join(lines)


# Middleware and view layers every request passes through: inclusive time says nothing.
_WRAPPERS = ("authenticate ", "envelope.", "enforce_plan_and_limits ",
             "preflight ", "idempotent_writes ", "serve ", "main ",
             "PassgateGraphQLView.", "Schema.execute ", "Schema._execute_operation ",
             "<module> ")


def _component(frame: str) -> str:
    path = frame.rsplit(" (", 1)[-1].rstrip(")")
    top = path.split("/", 1)[0]
    if top in ("gateway", "schema", "resolvers", "rest_compat", "bench"):
        return "passgate"
    if top in ("graphql", "strawberry"):
        return "strawberry+graphql-core"
    if top in ("aiosqlite", "asyncpg", "sqlite3"):
        return "driver"
    if top in ("json", "orjson"):
        return "json"
    if top == "selectors.py":
        return "idle (epoll wait)"
    if top.startswith("<frozen") or top in ("asyncio", "threading", "runpy",
                                             "concurrent", "socket", "ssl"):
        return "event loop/stdlib"
    return top.removesuffix(".py")


def available() -> str | None:
    """Why profiling cannot run here, or None when it can."""
    if shutil.which("py-spy") is None and not _venv_pyspy().exists():
        return "py-spy is not installed (pip install py-spy)"
    return None


def _venv_pyspy() -> Path:
    return Path(os.sys.executable).with_name("py-spy")


def _frame(raw: str) -> str:
    """``handler (/abs/rest_compat/engine.py:12)`` → ``handler (rest_compat/engine.py)``:
    paths relative to the project or to site-packages, without the line, so a function
    counts once however many lines of it were sampled."""
    name, _, where = raw.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    if path.startswith(_ROOT):
        path = path[len(_ROOT):]
    elif "site-packages/" in path:
        path = path.split("site-packages/", 1)[1]
    elif "/lib/python3" in path:
        path = path.split("/lib/python3", 1)[1].split("/", 1)[-1]
    return f"{name} ({path})"


_ROOT = str(Path(__file__).resolve().parent.parent) + "/"


def parse(label: str, collapsed: str) -> Profile:
    profile = Profile(label)
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [_frame(f) for f in stack.split(";") if " (" in f]
        if not frames:
            continue
        profile.samples += n
        for frame in set(frames):
            profile.inclusive[frame] += n
        profile.own[frames[-1]] += n
    return profile


@contextmanager
def sampling(pid: int, label: str, rate: int = 250) -> Iterator[Profile]:
    """Sample ``pid`` while the block runs; the Profile is filled when the block ends."""
    profile = Profile(label)
    reason = available()
    if reason:
        profile.error = reason
        yield profile
        return
    exe = shutil.which("py-spy") or str(_venv_pyspy())
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "stacks.txt"
        proc = subprocess.Popen(
            [exe, "record", "--pid", str(pid), "--rate", str(rate), "--format", "raw",
             "--nonblocking", "--output", str(out)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            yield profile
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                _, err = proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                _, err = proc.communicate()
            if out.exists():
                filled = parse(label, out.read_text())
                profile.samples, profile.inclusive, profile.own = (
                    filled.samples, filled.inclusive, filled.own)
            else:
                profile.error = (err or "py-spy wrote nothing").strip().splitlines()[-1]
