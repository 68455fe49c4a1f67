#!/usr/bin/env python3
"""bench_triage_campaign.py - a campaign's overhead over raw fuzzing of the
same target (limit: under 5% of exec/s). Prints both figures.

  libfuzzer  raw: build-libfuzzer/fuzz/<target> -fork=W (the campaign's flags)
             campaign: nmr-campaign --engine libfuzzer --fuzz-target <target>
  explore    raw: W nmr-explore processes over corpus/examples
             campaign: nmr-campaign --engine explore --workers W

Raw and campaign runs alternate (ROUNDS times each) so that load from other
processes hits both alike. Two figures per pair:
  exec/s         executions per wall-clock second (the campaign's: over its
                 journaled fuzzing time, as its live line shows);
  exec/cpu-s     executions per CPU second of everything started (workers,
                 and for the campaign its monitor: journal, incremental
                 triage, rule coverage) - robust against a busy machine.
The overhead is 1 - campaign/raw of each.

usage: bench_triage_campaign.py [--seconds S] [--workers W] [--rounds R] [TARGET...]
       (targets default: fuzz_scenario fuzz_text; 'explore' is always measured)
"""

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def measure(cmd, cwd=None, log=None):
    c0, t0 = children_cpu(), time.time()
    with open(log or os.devnull, "wb") as f:
        subprocess.call(cmd, cwd=cwd, stdout=f, stderr=subprocess.STDOUT)
    return time.time() - t0, children_cpu() - c0


def last_count(path):
    try:
        text = open(path, "rb").read().decode(errors="replace")
    except OSError:
        return 0
    found = re.findall(r"#(\d+)[:\s]", text)
    return int(found[-1]) if found else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("targets", nargs="*", default=["fuzz_scenario", "fuzz_text"])
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--rounds", type=int, default=2)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="nmrsim-bench-campaign.")
    camp = os.path.join(ROOT, "tools", "nmr-campaign")
    build = os.path.join(ROOT, "build")
    lf = os.path.join(ROOT, "build-libfuzzer")
    print("campaign overhead: %d s per run, %d worker(s), %d round(s) alternating raw and campaign; load %.1f" %
          (a.seconds, a.workers, a.rounds, os.getloadavg()[0]))
    results = []
    try:
        for t in a.targets + ["explore"]:
            raw = [0, 0.0, 0.0]   # execs, wall, cpu
            cam = [0, 0.0, 0.0]
            mon = [0.0, 0.0]      # the campaign's monitor CPU, workers x elapsed
            binary = os.path.join(lf, "fuzz", t)
            if t != "explore" and not os.access(binary, os.X_OK):
                print("libfuzzer %s: not built (CC=clang meson setup build-libfuzzer -Dfuzzing_engine=libfuzzer); skipped" % t)
                continue
            files = sorted(os.path.join(ROOT, "corpus", "examples", f)
                           for f in os.listdir(os.path.join(ROOT, "corpus", "examples")) if f.endswith(".nmr"))
            for rnd in range(a.rounds):
                d = os.path.join(tmp, "%s-%d" % (t, rnd))
                os.makedirs(os.path.join(d, "raw", "corpus"))
                os.makedirs(os.path.join(d, "raw", "crashes"))
                if t == "explore":
                    # enough runs per process for about S seconds at the last rate seen
                    rate = raw[0] / raw[1] / a.workers if raw[1] else 20000
                    runs = max(100, int(rate * a.seconds / len(files)))
                    c0, t0 = children_cpu(), time.time()
                    ps = [subprocess.Popen([os.path.join(build, "tools", "nmr-explore"), "--quiet", "--runs", str(runs),
                                            "--seed", str((w + 1) * 10 ** 9 + rnd * 10 ** 7), "--out",
                                            os.path.join(d, "raw", "o%d" % w)] + files,
                                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
                          for w in range(a.workers)]
                    n = 0
                    for p in ps:
                        out = p.communicate()[0]
                        m = re.search(r"nmr-explore: (\d+) runs", out)
                        n += int(m.group(1)) if m else 0
                    wall, cpu = time.time() - t0, children_cpu() - c0
                    cmd = ["python3", camp, "--engine", "explore", "--workers", str(a.workers)]
                else:
                    seeds = os.path.join(lf, "fuzz", "seeds_" + t)
                    dic = os.path.join(ROOT, "fuzz", t + ".dict")
                    cmd = [binary, "-fork=%d" % a.workers, "-ignore_crashes=1", "-ignore_timeouts=1", "-ignore_ooms=1",
                           "-artifact_prefix=crashes/", "-seed=%d" % (2 + rnd), "-max_total_time=%d" % a.seconds,
                           "-print_final_stats=1"] + (["-dict=" + dic] if os.path.isfile(dic) else []) + \
                        ["corpus"] + ([seeds] if os.path.isdir(seeds) else [])
                    log = os.path.join(d, "raw", "log")
                    wall, cpu = measure(cmd, cwd=os.path.join(d, "raw"), log=log)
                    n = last_count(log)
                    cmd = ["python3", camp, "--engine", "libfuzzer", "--fuzz-target", t, "--workers", str(a.workers)]
                raw[0] += n
                raw[1] += wall
                raw[2] += cpu
                cd = os.path.join(d, "camp")
                wall, cpu = measure(cmd + ["--duration", "%ds" % a.seconds, "--dir", cd, "--build", build, "--quiet",
                                           "--log-every", "100000", "--no-build"], log=os.path.join(d, "camp.log"))
                p = json.load(open(os.path.join(cd, "progress.json")))
                cam[0] += p.get("exec_base", 0) + p.get("exec_session", 0) + p.get("exec_base_afl", 0)
                cam[1] += p["elapsed"]  # the fuzzing period (the final report is not fuzzing time)
                cam[2] += cpu           # everything, the report included
                mon[0] += p.get("monitor_cpu", 0.0)
                mon[1] += p["elapsed"] * a.workers
            rw, cw = raw[0] / raw[1], cam[0] / cam[1]
            rc, cc = raw[0] / max(raw[2], 1e-9), cam[0] / max(cam[2], 1e-9)
            name = "explore" if t == "explore" else "libfuzzer " + t
            print("%-24s raw %10.0f exec/s  campaign %10.0f exec/s  overhead %5.1f%%   |   raw %10.0f exec/cpu-s  "
                  "campaign %10.0f exec/cpu-s  overhead %5.1f%%" %
                  (name, rw, cw, 100 * (1 - cw / rw) if rw else 0, rc, cc, 100 * (1 - cc / rc) if rc else 0))
            print("%-24s the campaign's monitor used %.1f CPU s of %.0f worker CPU s: %.2f%%" %
                  ("", mon[0], mon[1], 100 * mon[0] / max(mon[1], 1e-9)))
            sys.stdout.flush()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
