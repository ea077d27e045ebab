#!/usr/bin/env python3
"""Where a flash-sale run's CPU goes on this machine, process by process (BENCHMARKS.md section 41).

  load/cpu_budget.py sample <instance pid> <samples.tsv>   every 0.25 s until the instance exits
  load/cpu_budget.py report <samples.tsv> <report.json>     the budget of the run the load tool reported

load/flash_bench.sh runs both when CPU_BUDGET=1. The samples are the CPU time of the instance, the
load tool, MariaDB and the Redis servers (from /proc/<pid>/stat) and the whole machine's busy and idle
time (/proc/stat). The report splits the run's schedule in two:

- the sale's seconds: from its start to 2 s after twice the time the stock lasts at the run's rate
  (the queue the sale leaves behind is worked off in them);
- the sold-out seconds: from 2 s after those to the schedule's end: what refusing the crowd costs at
  this rate. The sale's extra work is its seconds' CPU time minus that rate over them, per unit sold
  (with its payment, if the run pays). A short window: the sold-out rate's noise, multiplied by the
  whole schedule, would swamp the sale's work.

While the stock lasts, a rate R asks the machine for about (sold-out cores at R) + (extra per unit x R)
cores; when that is more than the machine has, the winners queue for a core and p99 grows with the
queue. The report prints that demand next to the machine's cores. A `bare` run sells nothing: its
report is the schedule's cores alone, the ceiling's cost.
"""
import json
import os
import sys
import time
from datetime import datetime

GROUPS = ("instance", "tool", "mariadb", "redis")
TICKS = os.sysconf("SC_CLK_TCK")


def command_of(pid):
    with open(f"/proc/{pid}/comm") as f:
        return f.read().strip()


def group_of(pid, comm, instance):
    if pid == instance:
        return "instance"
    try:
        if comm in ("mariadbd", "mysqld"):
            return "mariadb"
        if comm == "redis-server":
            return "redis"
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            if b"Seckill.Load" in f.read():
                return "tool"
    except OSError:
        pass
    return None


def process_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        # The command name may hold spaces: the fields after it are counted from its closing bracket.
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def machine_ticks():
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:9]]
    user, nice, system, idle, iowait, irq, softirq, steal = values
    return user + nice + system + irq + softirq + steal, idle + iowait


def sample(instance, path):
    # Each process's ticks are summed as deltas from its own last reading, so a process that comes or
    # goes (the tool starts after the instance) adds only what it used while it was seen. A process's
    # group is decided once per command name: the tool's pid is a shell's until the shell execs dotnet.
    last, groups, totals = {}, {}, dict.fromkeys(GROUPS, 0)
    with open(path, "w") as out:
        out.write("time\t" + "\t".join(GROUPS) + "\tbusy\tidle\n")
        while os.path.exists(f"/proc/{instance}"):
            for name in os.listdir("/proc"):
                if not name.isdigit():
                    continue
                pid = int(name)
                try:
                    key = (pid, command_of(pid))
                    if key not in groups:
                        groups[key] = group_of(pid, key[1], instance)
                    group = groups[key]
                    if group is None:
                        continue
                    ticks = process_ticks(pid)
                except OSError:
                    continue
                totals[group] += ticks - last.get(pid, ticks)
                last[pid] = ticks
            busy, idle = machine_ticks()
            out.write(f"{time.time():.3f}\t" + "\t".join(str(totals[g]) for g in GROUPS) + f"\t{busy}\t{idle}\n")
            out.flush()
            time.sleep(0.25)


def read_samples(path):
    with open(path) as f:
        next(f)
        return [[float(v) for v in line.split("\t")] for line in f if line.strip()]


def seconds(rows, start, end, column):
    """CPU seconds of one column between two times (the samples nearest inside them)."""
    inside = [r for r in rows if start <= r[0] <= end]
    if len(inside) < 2:
        raise SystemExit(f"no samples between {start:.1f} and {end:.1f}: was the sampler running?")
    return (inside[-1][column] - inside[0][column]) / TICKS, inside[-1][0] - inside[0][0]


def report(samples_path, report_path):
    rows = read_samples(samples_path)
    with open(report_path) as f:
        run = json.load(f)
    start = datetime.fromisoformat(run["startedAt"]).timestamp()
    length, rate, stock = run["scheduleSeconds"], run["settings"]["rate"], run["settings"]["stock"]
    end = start + length
    cores = os.cpu_count()
    columns = {g: 1 + i for i, g in enumerate(GROUPS)}
    busy_col, idle_col = 1 + len(GROUPS), 2 + len(GROUPS)

    def machine(a, b):
        busy, _ = seconds(rows, a, b, busy_col)
        idle, span = seconds(rows, a, b, idle_col)
        return cores * busy / (busy + idle) * span, span

    def cores_between(a, b):
        used = {g: seconds(rows, a, b, c)[0] for g, c in columns.items()}
        used["machine"], span = machine(a, b)
        return {g: u / span for g, u in used.items()}

    def rest(d):
        return d["machine"] - sum(d[g] for g in GROUPS)

    def line(d):
        return (", ".join(f"{g} {d[g]:.2f}" for g in GROUPS)
                + f", the rest (kernel, others) {rest(d):.2f}; machine {d['machine']:.2f}")

    print(f"cpu budget at {rate}/s on {cores} cores ({samples_path}):")
    if run["settings"]["scenario"] == "bare":
        # Nothing is sold: the whole schedule but its first second is the ceiling's cost.
        print("  the schedule's cores:       " + line(cores_between(start + 1.0, end)))
        return
    sale_end = start + 2.0 * stock / rate + 2.0
    calm = sale_end + 2.0
    if end - calm < 5:
        raise SystemExit(f"the schedule ({length:.0f} s) leaves under 5 sold-out seconds to measure")
    sold_out = cores_between(calm, end)
    sale = cores_between(start, sale_end)
    extra = {g: (sale[g] - sold_out[g]) * (sale_end - start) / stock for g in sold_out}
    selling = stock / rate
    busy_selling = cores_between(start, start + selling)["machine"]

    print("  sold-out seconds, cores:    " + line(sold_out))
    print("  the sale's extra, µs a unit: " + ", ".join(f"{g} {extra[g] * 1e6:.0f}" for g in GROUPS)
          + f", the rest {rest(extra) * 1e6:.0f}; machine {extra['machine'] * 1e6:.0f}")
    print(f"  while the stock lasts ({selling:.2f} s at {rate}/s) the machine is asked for about "
          f"{sold_out['machine']:.2f} + {extra['machine'] * 1e6:.0f} µs x {rate}/s = "
          f"{sold_out['machine'] + extra['machine'] * rate:.2f} cores of {cores}; "
          f"it was busy {busy_selling:.2f} in those seconds")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "sample":
        sample(int(sys.argv[2]), sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "report":
        report(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit(__doc__)
