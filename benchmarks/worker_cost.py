"""What one test's worker costs: fork from the zygote, confinement, the hello, and the exit, for an
empty worker and for one that trains a small network (a measurement, never a test).

    python benchmarks/worker_cost.py [--workers 100] [--preload torch._dynamo ...]

Prints, per kind of worker, wall milliseconds each and the CPU milliseconds each of the whole
machine (/proc/stat: the kernel's share of forks, exits and copy-on-write faults is counted
wherever it falls, and so is the scorers' template, which per-process counts miss because it is
re-parented away from the grader's tree), and the zygote's memory (resident, anonymous, on huge
pages). Run it on a quiet machine; it measures everything the machine does meanwhile.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from grader.jail import protocol  # noqa: E402
from grader.jail.session import Jail, JobSpec  # noqa: E402
from process_tree import ZYGOTE  # noqa: E402

TICKS = 100   # USER_HZ

TRAINING = '''
import torch

def train(code):
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.Tanh(), torch.nn.Linear(16, 2))
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    X = torch.randn(64, 2)
    y = (X[:, 0] > 0).long()
    for _ in range(20):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(X), y)
        loss.backward()
        optimizer.step()
    return float(loss)
'''


def machine_cpu() -> tuple[float, float]:
    """(user, system) CPU seconds of the whole machine since boot."""
    with open("/proc/stat", encoding="ascii") as handle:
        ticks = [int(v) for v in handle.readline().split()[1:8]]
    user, nice, system, _idle, _iowait, irq, softirq = ticks
    return (user + nice) / TICKS, (system + irq + softirq) / TICKS


def zygote_memory(jail: Jail) -> dict[str, str]:
    for pid in Path("/proc").iterdir():
        try:
            if pid.name.isdigit() and ZYGOTE in (pid / "cmdline").read_bytes() \
                    and jail.socket_dir.encode() in (pid / "cmdline").read_bytes():
                rollup = (pid / "smaps_rollup").read_text().splitlines()
                fields = dict(line.split(":", 1) for line in rollup if ":" in line)
                return {k: fields[k].strip() for k in ("Rss", "Anonymous", "AnonHugePages") if k in fields}
        except OSError:
            continue
    return {}


def measure(jail: Jail, job: JobSpec, count: int, train: bool) -> tuple[float, float, float]:
    """(wall, user, system) milliseconds per worker over `count` workers."""
    def one() -> None:
        worker = jail.spawn(job)
        if train:
            worker.request({"op": "run", "source": TRAINING, "entry": "train", "filename": "<worker_cost>",
                            "args": protocol.encode([]), "kwargs": protocol.encode({})}, 30)
        worker.kill()

    one()   # the first worker pays what later ones find done
    time.sleep(0.3)
    user, system = machine_cpu()
    started = time.perf_counter()
    for _ in range(count):
        one()
    wall = time.perf_counter() - started
    time.sleep(0.3)   # the last exit and its reaping
    user_after, system_after = machine_cpu()
    return (1000 * wall / count, 1000 * (user_after - user) / count, 1000 * (system_after - system) / count)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=100)
    parser.add_argument("--preload", nargs="*", default=["torch._dynamo"])
    args = parser.parse_args()
    submission = tempfile.mkdtemp(prefix="worker-cost-")
    shutil.copy(ROOT / "assignments" / "tp_nn" / "reference" / "tp_nn.py", submission)
    try:
        with Jail.start(args.preload) as jail:
            memory = zygote_memory(jail)
            print(f"zygote (preload {', '.join(args.preload) or 'nothing'}): " +
                  ", ".join(f"{k} {v}" for k, v in memory.items()))
            print("| worker | wall ms | machine CPU ms (user + system) |")
            print("|---|---|---|")
            for label, train in (("empty", False), ("trains a small net", True)):
                wall, user, system = measure(jail, JobSpec(submission), args.workers, train)
                print(f"| {label} | {wall:.1f} | {user + system:.1f} ({user:.1f} + {system:.1f}) |")
    finally:
        shutil.rmtree(submission, ignore_errors=True)


if __name__ == "__main__":
    main()
