"""What the benchmarks share: measuring a command as its own process (wall, CPU, peak memory)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence

# Run inside a fresh interpreter, so the figures are the command's own (children included) and
# not the benchmark's; a namespace's `ip netns exec` prefix can go in front of it.  Two memory
# figures: the largest single process (getrusage), and the whole process tree's resident memory
# summed, sampled every 0.2 s (what a command with worker processes holds at once).
MEASURE = r"""
import json, os, resource, subprocess, sys, threading, time

def tree_rss_kb(root):
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            with open(f"/proc/{pid}/status") as status:
                total += next((int(line.split()[1]) for line in status if line.startswith("VmRSS:")), 0)
        except OSError:
            pass
    return total

start = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
peak = [0]
def sample():
    while child.poll() is None:
        peak[0] = max(peak[0], tree_rss_kb(child.pid))
        time.sleep(0.2)
threading.Thread(target=sample, daemon=True).start()
out, err = child.communicate()
wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall_s": round(wall, 2), "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
                  "peak_mb": round(usage.ru_maxrss / 1024), "tree_peak_mb": round(peak[0] / 1024),
                  "rc": child.returncode, "stdout": out[-3000:], "stderr": err[-3000:]}))
"""


def measured(done: subprocess.CompletedProcess[str], argv: Sequence[str], fatal: bool = False) -> dict[str, object]:
    """The figures MEASURE printed; when the measured command failed, a warning, or (`fatal`) the
    end of the benchmark: a failed command's time is not a figure."""
    if done.returncode != 0:
        raise SystemExit(f"measuring {list(argv[:3])} failed: {done.stderr}")
    result: dict[str, object] = json.loads(done.stdout)
    if result["rc"] != 0:
        message = f"{' '.join(argv[:3])}… exited {result['rc']}: {str(result['stderr'])[-500:]}"
        if fatal:
            raise SystemExit(f"benchmark stopped: {message}")
        print(f"  warning: {message}")
    return result


def measure(
    argv: Sequence[str], env: dict[str, str] | None = None, prefix: Sequence[str] = (), fatal: bool = False
) -> dict[str, object]:
    done = subprocess.run(
        [*prefix, sys.executable, "-c", MEASURE, *argv], capture_output=True, text=True, env=env, timeout=3600
    )
    return measured(done, argv, fatal)


def figure(name: str, result: dict[str, object], baseline_s: float | None = None, extra_cpu_s: float = 0) -> None:
    """One JSON line for a figure, for a script comparing runs: wall, CPU (with `extra_cpu_s`, e.g. a
    database server's), the peak memory of all the command's processes, the peer's time if any."""
    rss = max(int(str(result["peak_mb"])), int(str(result.get("tree_peak_mb") or 0)))
    cpu = round(float(str(result["cpu_s"])) + extra_cpu_s, 2)
    print(json.dumps({"name": name, "wall_s": result["wall_s"], "cpu_s": cpu, "rss_mb": rss, "baseline_s": baseline_s}))


def row(label: str, result: dict[str, object], note: str = "") -> str:
    """A table row; the memory column gives the process tree's summed peak when it exceeds the
    largest single process's (a command that ran worker processes)."""
    memory = f"{result['peak_mb']} MB"
    if int(str(result.get("tree_peak_mb") or 0)) > int(str(result["peak_mb"])):
        memory += f" (all processes: {result['tree_peak_mb']} MB)"
    return f"| {label} | {result['wall_s']} s | {result['cpu_s']} s | {memory} | {note} |"


def postgres_cpu_s(socket_dir: str) -> float:
    """CPU seconds the PostgreSQL server listening in `socket_dir` has used, its ended backends
    included (the postmaster's reaped children) and its live ones."""
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, list[str]]] = {}
    postmaster = None
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                argv = cmdline.read().decode(errors="replace").split("\0")
        except OSError:
            continue
        stats[int(entry)] = (int(fields[1]), fields)
        if socket_dir in argv and "postgres" in os.path.basename(argv[0]):
            postmaster = int(entry)
    if postmaster is None:
        raise SystemExit(f"no PostgreSQL server found for {socket_dir}")
    total = 0
    for pid, (parent, fields) in stats.items():
        if pid == postmaster:
            total += sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
        elif parent == postmaster:
            total += int(fields[11]) + int(fields[12])
    return total / tick
