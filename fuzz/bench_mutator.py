#!/usr/bin/env python3
"""bench_mutator.py - does the structure-aware mutator reach more rule
coverage in the same time than byte-level mutation?

    fuzz/bench_mutator.py [--seconds 10] [--seeds 1 2 3 4 5 6 7 8]
                          [--target scenario drivers canary] [--afl] [--serial]

For each target and fuzzer seed it runs, from the empty input (no module, no
operation, no choice byte), the libFuzzer target with the structure-aware
mutator (`fuzz_scenario`: scn_mutate.c, with 1 call in 5 left to libFuzzer's
byte mutations) and its `_bytes` twin (libFuzzer's byte mutations only), side
by side (one core each, same seed, same flags, both at once so they share
whatever load the machine has), for the same wall-clock time. Each run logs
its rule coverage over time (NMRSIM_FUZZ_COVLOG, fuzz/covlog.c): the rules
some executed input reached a state for (touched) and the rules some executed
input violated (found: the scripted modules' or drivers' bugs, every rule,
whether the target counts it or not). Findings do not abort the runs
(NMRSIM_FUZZ_NO_ABORT=1), so a run explores for its whole time.

Printed, per target: the mean touched and found counts at checkpoints from
0.1 s to the end, and the time each run took to reach full rule coverage
(full: every rule any run of that target reached). Target `canary` is
fuzz_scenario of a -Dcanary=true build (build-canary-libfuzzer; built when
missing): the registrar has one planted bug that takes a particular
configuration and interleaving, and the time to its first R08 violation is
printed as well. With --afl the same runs are made under AFL++ (build-afl
and build-canary-afl, brought up to date when they exist; with and without
the custom mutator library build/fuzz/libnmrsim-afl-mutator.so, or
-drivers.so for fuzz_drivers). Figures only, no pass/fail: the wall clock
decides, so run it on an idle machine.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LF = os.path.join(ROOT, 'build-libfuzzer')
AFL = os.path.join(ROOT, 'build-afl')
PLAIN = os.path.join(ROOT, 'build')


def popcount(x):
    return bin(x).count('1')


# The canary (-Dcanary=true, sim/nmr/nmr_model.c): one planted registrar bug,
# an early return from NmrWaitForProviderDeregisterComplete (R08) that takes
# NMR workers, the F4 cleanup deferral, a second queued delivery and the
# waiter running before the worker.
LF_CANARY = os.path.join(ROOT, 'build-canary-libfuzzer')
AFL_CANARY = os.path.join(ROOT, 'build-canary-afl')
RULE_R08 = 35  # enum rule (sim/core/rules.h)


def ensure_libfuzzer(build, extra):
    if not os.path.exists(os.path.join(build, 'build.ninja')):
        env = dict(os.environ, CC='clang')
        if subprocess.call(['meson', 'setup', build, ROOT, '-Dfuzzing_engine=libfuzzer'] + extra, env=env,
                           stdout=subprocess.DEVNULL) != 0:
            sys.exit(2)
    if subprocess.call(['ninja', '-C', build], stdout=subprocess.DEVNULL) != 0:
        sys.exit(2)


def read_log(path, start):
    """[(seconds since start, touched bits, found bits, executions)] of the
    union so far (executions: of the process that logged the line; one
    process under libFuzzer, one per fork-server child under AFL++)."""
    points, touched, found = [], 0, 0
    try:
        with open(path) as f:
            rows = [line.split() for line in f]
    except OSError:
        return points
    rows = [r for r in rows if len(r) == 4]
    rows.sort(key=lambda r: int(r[0]))
    for us, execs, t, v in rows:
        t, v = int(t, 16), int(v, 16)
        if t & ~touched or v & ~found:
            touched |= t
            found |= v
            points.append((int(us) / 1e6 - start, touched, found, int(execs)))
    return points


def at(points, sec):
    t = f = 0
    for s, pt, pf, _ in points:
        if s > sec:
            break
        t, f = pt, pf
    return popcount(t), popcount(f)


def time_to(points, full_t, full_f):
    """(seconds, executions) when the run first had full coverage, or None."""
    for s, t, f, execs in points:
        if t & full_t == full_t and f & full_f == full_f:
            return s, execs
    return None


def run_libfuzzer(exe, seed, secs, work, name):
    corpus = os.path.join(work, name + '-corpus')
    start_dir = os.path.join(work, 'start')
    os.makedirs(corpus, exist_ok=True)
    log = os.path.join(work, name + '.cov')
    env = dict(os.environ, NMRSIM_FUZZ_NO_ABORT='1', NMRSIM_FUZZ_COVLOG=log)
    out = open(os.path.join(work, name + '.log'), 'w')
    start = time.time()
    p = subprocess.Popen([exe, '-seed=%d' % seed, '-max_total_time=%d' % secs, '-max_len=4096',
                          '-timeout=10', '-artifact_prefix=%s/' % work, corpus, start_dir],
                         env=env, stdout=out, stderr=subprocess.STDOUT)
    return p, log, start, out


def libfuzzer_execs(work, name):
    execs = None
    try:
        with open(os.path.join(work, name + '.log')) as f:
            for line in f:
                if line.startswith('Done ') and ' runs in ' in line:
                    execs = int(line.split()[1])
    except OSError:
        pass
    return execs


def run_afl(exe, lib, seed, secs, work, name):
    out_dir = os.path.join(work, name + '-out')
    start_dir = os.path.join(work, 'afl-start')
    log = os.path.join(work, name + '.cov')
    env = dict(os.environ, AFL_SKIP_CPUFREQ='1', AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES='1',
               AFL_NO_UI='1', AFL_NO_AFFINITY='1', AFL_SKIP_CRASHES='1', NMRSIM_FUZZ_NO_ABORT='1',
               NMRSIM_FUZZ_COVLOG=log)
    for k in ('ASAN_OPTIONS', 'UBSAN_OPTIONS', 'AFL_CUSTOM_MUTATOR_LIBRARY'):
        env.pop(k, None)
    if lib:
        env['AFL_CUSTOM_MUTATOR_LIBRARY'] = lib
    out = open(os.path.join(work, name + '.log'), 'w')
    start = time.time()
    p = subprocess.Popen(['afl-fuzz', '-V', str(secs), '-s', str(seed), '-i', start_dir, '-o', out_dir,
                          '--', exe], env=env, stdout=out, stderr=subprocess.STDOUT)
    return p, log, start, out


def afl_execs(work, name):
    try:
        with open(os.path.join(work, name + '-out', 'default', 'fuzzer_stats')) as f:
            for line in f:
                if line.startswith('execs_done'):
                    return int(line.split(':')[1])
    except OSError:
        pass
    return None


def first_violation(points, bit):
    for s, _t, f, execs in points:
        if f >> bit & 1:
            return s, execs
    return None


def run_pairs(pairs, a, work, tag, launch, execs_of):
    """For each seed, run every mutator of pairs ({name: what launch takes})
    side by side (one after the other with --serial); {name: [(points,
    executions)]} over the seeds."""
    results = {m: [] for m in pairs}
    for seed in a.seeds:
        procs = []
        for m, what in pairs.items():
            name = '%s-%s-%d' % (tag, m.split()[0], seed)
            procs.append((m, name) + launch(what, seed, a.seconds, work, name))
            if a.serial:
                procs[-1][2].wait()
        for m, name, p, log, start, out in procs:
            p.wait()
            out.close()
            results[m].append((read_log(log, start), execs_of(work, name)))
    return results


def report(title, secs, results, names, exec_counts=True, bug=None):
    """results: {mutator: [(points, execs)]} over seeds."""
    full_t = full_f = 0
    for runs in results.values():
        for points, _ in runs:
            if points:
                full_t |= points[-1][1]
                full_f |= points[-1][2]
    checks = [c for c in (0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600) if c < secs] + [secs]
    print()
    print(title)
    print('full rule coverage here: %d rules touched, %d found' % (popcount(full_t), popcount(full_f)))
    head = '%-8s' % 'time'
    for m in names:
        head += ' %-26s' % (m + ' touched/found')
    print(head)
    wins = {m: 0 for m in names}
    for c in checks:
        row = '%-8s' % ('%gs' % c)
        means = {}
        for m in names:
            pairs = [at(p, c) for p, _ in results[m]]
            mt = statistics.mean(t for t, _ in pairs)
            mf = statistics.mean(f for _, f in pairs)
            means[m] = mt + mf
            row += ' %-26s' % ('%.1f / %.1f' % (mt, mf))
        best = max(means.values())
        for m in names:
            if means[m] == best and list(means.values()).count(best) == 1:
                wins[m] += 1
        print(row)
    print('time to full rule coverage, per seed (- = not within %ds):' % secs)
    for m in names:
        ts = [time_to(p, full_t, full_f) for p, _ in results[m]]
        print('  %-18s %s' % (m, ' '.join('-' if t is None else '%.2fs' % t[0] for t in ts)))
    for m in names:
        ts = [time_to(p, full_t, full_f) for p, _ in results[m]]
        reached = [t for t in ts if t is not None]
        # A run that never got there counts as the whole run: a lower bound.
        mean = statistics.mean(t[0] if t else secs for t in ts)
        med = statistics.median(t[0] if t else float('inf') for t in ts)
        execs = [e for _, e in results[m] if e]
        rate = '%.0fk exec/s' % (statistics.mean(execs) / secs / 1000) if execs else '? exec/s'
        line = '  %-18s mean %s%.2fs, median %s, %d/%d reached, %s' % (
            m, '>=' if len(reached) < len(ts) else '', mean, '-' if med == float('inf') else '%.2fs' % med,
            len(reached), len(ts), rate)
        if exec_counts and reached:
            line += ', median %.0fk executions to get there' % (statistics.median(t[1] for t in reached) / 1000)
        print(line)
    if bug is not None:
        print('the planted registrar bug (R08) found, per seed:')
        for m in names:
            ts = [first_violation(p, bug) for p, _ in results[m]]
            mean = statistics.mean(t[0] if t else secs for t in ts)
            line = '  %-18s %s   mean %s%.2fs' % (m, ' '.join('-' if t is None else '%.2fs' % t[0] for t in ts),
                                                  '>=' if None in ts else '', mean)
            if exec_counts and any(ts):
                line += ', median %.0fk executions' % (statistics.median(t[1] for t in ts if t) / 1000)
            print(line)
    print('checkpoints where one is strictly ahead (touched + found): ' +
          ', '.join('%s %d' % (m, wins[m]) for m in names) + ' of %d' % len(checks))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--seconds', type=int, default=10)
    ap.add_argument('--seeds', type=int, nargs='+', default=[1, 2, 3, 4, 5, 6, 7, 8])
    ap.add_argument('--target', nargs='+', default=['scenario', 'drivers', 'canary'],
                    choices=['scenario', 'drivers', 'canary'],
                    help='canary: fuzz_scenario of a -Dcanary=true build (build-canary-libfuzzer, build-canary-afl)')
    ap.add_argument('--afl', action='store_true', help='also AFL++ (build-afl, build/fuzz/libnmrsim-afl-mutator.so)')
    ap.add_argument('--serial', action='store_true', help='one run at a time (default: the pair side by side)')
    a = ap.parse_args()
    if a.seconds < 1:
        ap.error('--seconds must be at least 1')
    ensure_libfuzzer(LF, [])
    if 'canary' in a.target:
        ensure_libfuzzer(LF_CANARY, ['-Dcanary=true'])
    if a.afl:  # stale binaries would log nothing: rebuild what exists
        for d in (PLAIN, AFL, AFL_CANARY):
            if os.path.exists(os.path.join(d, 'build.ninja')):
                subprocess.call(['ninja', '-C', d], stdout=subprocess.DEVNULL)
    work = tempfile.mkdtemp(prefix='bench-mutator-')
    try:
        os.makedirs(os.path.join(work, 'start'))
        open(os.path.join(work, 'start', 'empty'), 'wb').close()
        os.makedirs(os.path.join(work, 'afl-start'))
        with open(os.path.join(work, 'afl-start', 'one'), 'wb') as f:
            f.write(b'\0')  # AFL++ refuses an empty file
        print('rule coverage over time from the empty input, %d s per run, seeds %s, %s' % (
            a.seconds, ' '.join(map(str, a.seeds)), 'one run at a time' if a.serial else 'the two mutators side by side'))
        for target in a.target:
            canary = target == 'canary'
            fuzz_name = 'fuzz_scenario' if canary else 'fuzz_' + target
            label = 'fuzz_scenario with the canary' if canary else fuzz_name
            lf = LF_CANARY if canary else LF
            bug = RULE_R08 if canary else None
            exe = os.path.join(lf, 'fuzz', fuzz_name)
            if not os.path.exists(exe + '_bytes'):
                print('\n%s: no _bytes twin in %s (not a structure-aware target there); skipped' % (fuzz_name, lf))
                continue
            pairs = {'structure-aware': exe, 'bytes only': exe + '_bytes'}
            results = run_pairs(pairs, a, work, target, run_libfuzzer, libfuzzer_execs)
            report('libFuzzer, %s' % label, a.seconds, results, list(pairs), bug=bug)

            afl_exe = os.path.join(AFL_CANARY if canary else AFL, 'fuzz', fuzz_name)
            lib = os.path.join(PLAIN, 'fuzz', 'libnmrsim-afl-mutator%s.so' % ('-drivers' if target == 'drivers' else ''))
            if not a.afl:
                continue
            if not shutil.which('afl-fuzz') or not os.path.exists(afl_exe) or not os.path.exists(lib):
                print('\nAFL++: afl-fuzz, %s or %s missing; skipped' % (afl_exe, lib))
                continue
            pairs = {'structure-aware': lib, 'AFL++ only': None}
            results = run_pairs(pairs, a, work, 'afl-' + target,
                                lambda l, *rest: run_afl(afl_exe, l, *rest), afl_execs)
            report('AFL++, %s (custom mutator library with AFL++ havoc, against AFL++ alone)' % label,
                   a.seconds, results, list(pairs), exec_counts=False, bug=bug)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
