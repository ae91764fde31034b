"""What the benchmarks share: measuring a command as its own process (wall, CPU, peak memory)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence

# Run inside a fresh interpreter, so the figures are the command's own (children included) and
# not the benchmark's; a namespace's `ip netns exec` prefix can go in front of it.
MEASURE = r"""
import json, resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall_s": round(wall, 2), "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
                  "peak_mb": round(usage.ru_maxrss / 1024), "rc": done.returncode,
                  "stdout": done.stdout[-3000:], "stderr": done.stderr[-3000:]}))
"""


def measured(done: subprocess.CompletedProcess[str], argv: Sequence[str]) -> dict[str, object]:
    """The figures MEASURE printed; a warning when the measured command failed."""
    if done.returncode != 0:
        raise SystemExit(f"measuring {list(argv[:3])} failed: {done.stderr}")
    result: dict[str, object] = json.loads(done.stdout)
    if result["rc"] != 0:
        print(f"  warning: {' '.join(argv[:3])}… exited {result['rc']}: {str(result['stderr'])[-500:]}")
    return result


def measure(argv: Sequence[str], env: dict[str, str] | None = None, prefix: Sequence[str] = ()) -> dict[str, object]:
    done = subprocess.run(
        [*prefix, sys.executable, "-c", MEASURE, *argv], capture_output=True, text=True, env=env, timeout=3600
    )
    return measured(done, argv)


def row(label: str, result: dict[str, object], note: str = "") -> str:
    return f"| {label} | {result['wall_s']} s | {result['cpu_s']} s | {result['peak_mb']} MB | {note} |"
