"""Runs a command and reports its wall time and peak RSS, the same way for Ferry's runner and the peers.

    python -I measure_process.py REPORT -- COMMAND [ARG...]

REPORT is a file path; "{job}" in it becomes the id in $FERRY_JOB (so the controller can run every
attempt through this wrapper via FERRY_RUNNER_COMMAND and each attempt gets its own report).
The report is one JSON object: wallMs (spawn to exit, measured here), maxRssKiB (the child's
ru_maxrss from wait4, i.e. its VmHWM; its own waited-for children included), userMs, sysMs,
exitCode. stdin, stdout and stderr are the child's own; SIGTERM/SIGINT are passed on to it.
The wrapper exits with the child's code (128 + signal when killed by one).
"""

import json
import os
import signal
import subprocess
import sys
import time


def main() -> int:
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        print("usage: measure_process.py REPORT -- COMMAND [ARG...]", file=sys.stderr)
        return 2
    report = sys.argv[1]
    command = sys.argv[3:]
    if "{job}" in report:
        job = json.loads(os.environ.get("FERRY_JOB", "{}")).get("id", str(os.getpid()))
        report = report.replace("{job}", job)

    started = time.perf_counter()
    child = subprocess.Popen(command)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda number, _frame: child.send_signal(number))
    while True:
        try:
            _, status, usage = os.wait4(child.pid, 0)
            break
        except InterruptedError:
            continue
    wall_ms = (time.perf_counter() - started) * 1000
    code = os.waitstatus_to_exitcode(status)
    exit_code = code if code >= 0 else 128 - code
    result = {
        "wallMs": round(wall_ms, 3),
        "maxRssKiB": usage.ru_maxrss,
        "userMs": round(usage.ru_utime * 1000, 3),
        "sysMs": round(usage.ru_stime * 1000, 3),
        "exitCode": exit_code,
    }
    partial = f"{report}.partial"
    with open(partial, "w", encoding="utf-8") as out:
        json.dump(result, out)
    os.replace(partial, report)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
