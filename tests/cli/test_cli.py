#!/usr/bin/env python3
"""test_cli.py - every tool fails well (suite cli; run under ASan+UBSan in CI).

Generated from two tables: TOOLS (how to call a tool on one input, and its
numeric options with their valid range) and INPUTS (bad inputs: missing,
directory, binary garbage, huge, truncated, bit-flipped). Every tool meets
every bad input and every numeric option meets negative, zero (when out of
range), non-numeric, overflowing, empty and missing values. Each case must
exit 2 with a message on stderr that names the option or the input, within
TIME_BOUND seconds, with no sanitizer report. A new tool or option joins
by one row.

Some inputs are not bad for some tools, and the table says so: an empty
scenario is a valid (empty) scenario; binary garbage is a valid fuzzer
input (decoding is total); a folder is what triage, rulecov and detcheck
walk. Those cases must end 0 or 1, still without a sanitizer report.

Then the crash cases: nmr-explore on a driver that crashes (K08) writes the
reproducer and goes on with the next runs and files, and nmr-triage lists
the crash like any other bug.

usage: test_cli.py BUILD_DIR SOURCE_DIR. Exit 0 pass, 1 fail.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

TIME_BOUND = 60.0   # seconds per case (sanitizer builds on a busy machine)
SANITIZER = ("runtime error:", "AddressSanitizer", "LeakSanitizer", "UndefinedBehaviorSanitizer")

build = os.path.abspath(sys.argv[1])
src = os.path.abspath(sys.argv[2])
tmp = tempfile.mkdtemp(prefix="nmrsim-cli.")
good = os.path.join(src, "corpus", "examples", "correct-pair.nmr")
campaign = os.path.join(src, "tools", "nmr-campaign")


def t(*parts):
    return os.path.join(tmp, *parts)


# ---- the tables -------------------------------------------------------------

# tool: (command before the input, options {name: (min, max)}; None max: no
# upper bound but 64-bit overflow; 'duration': a duration option)
TOOLS = {
    "nmr-replay": ([build + "/replay/nmr-replay", "--quiet"], {"--seed": (0, None)}),
    "nmr-minimize": ([build + "/tools/nmr-minimize", "-o", t("min.nmr")], {"--runs-max": (1, 4294967295)}),
    "nmr-triage": ([build + "/tools/nmr-triage", "--no-minimize", "--out", t("tri")],
                   {"--prune": (1, 1000000), "--min-runs": (1, 100000000)}),
    "nmr-rulecov": ([build + "/tools/nmr-rulecov"], {}),
    "nmr-detcheck": ([build + "/tools/nmr-detcheck"], {"--sample": (1, 4294967295)}),
    "nmr-explore": ([build + "/tools/nmr-explore", "--quiet", "--runs", "3", "--out", t("ex")],
                    {"--runs": (0, 1000000000000), "--seed": (0, None), "--depth": (1, 8), "--bound": (0, 64),
                     "--time": "duration"}),
    "nmr-campaign": ([sys.executable, campaign, "--no-build", "--quiet", "--build", build, "--duration", "2s",
                      "--dir", t("camp")],
                     {"--duration": "duration", "--workers": (1, 1024), "--bugs": (0, 1000000),
                      "--seed": (0, 2**31 - 1), "--keep": (0, 1000000), "--chunk-runs": (1, 10**9)}),
    "nmr-add-regress": ([sys.executable, os.path.join(src, "tools", "nmr-add-regress"), "--build", build], {}),
}

# Tools that walk folders: a folder is an input, not an error.
WALKERS = {"nmr-triage", "nmr-rulecov", "nmr-detcheck"}


def make_inputs():
    """name -> (path, tools for which it is NOT bad (0/1 expected))."""
    text = open(good, "rb").read()
    inputs = {}
    inputs["missing"] = (t("no-such-file.nmr"), set())
    os.makedirs(t("a-folder"))
    shutil.copy(good, t("a-folder", "inside.nmr"))
    inputs["directory"] = (t("a-folder"), WALKERS)
    with open(t("garbage.nmr"), "wb") as f:
        f.write(bytes(range(256)) * 16)             # NUL bytes, control bytes, non-UTF-8
    inputs["binary garbage (.nmr)"] = (t("garbage.nmr"), set())
    with open(t("crash-garbage"), "wb") as f:
        f.write(bytes((i * 37 + 11) & 255 for i in range(5000)))
    # a fuzzer input: every byte string decodes (nmr-add-regress: exit 1, it
    # does not reproduce)
    inputs["binary garbage (fuzzer input)"] = (t("crash-garbage"), set(TOOLS))
    with open(t("huge.nmr"), "wb") as f:
        f.truncate(65 << 20)                        # sparse: over the 64 MiB input limit
    inputs["huge"] = (t("huge.nmr"), set())
    cut = text.rindex(b"\n  unload") + len(b"\n  unlo")
    with open(t("truncated.nmr"), "wb") as f:
        f.write(text[:cut])                         # ends inside an op name
    inputs["truncated"] = (t("truncated.nmr"), set())
    flip = bytearray(text)
    flip[text.index(b"\n  register") + 3] ^= 0x20   # register -> Register
    with open(t("bitflip.nmr"), "wb") as f:
        f.write(flip)
    inputs["bit-flipped"] = (t("bitflip.nmr"), set())
    open(t("empty.nmr"), "wb").close()
    inputs["empty"] = (t("empty.nmr"), set(TOOLS))  # an empty scenario is a scenario
    return inputs


def bad_values(spec):
    """(value or None for missing, what it tests) of an option spec."""
    if spec == "duration":
        return [("-5", "negative"), ("0", "zero"), ("abc", "non-numeric"), ("99999999999999999999h", "overflow"),
                ("5x", "bad unit"), ("", "empty"), (None, "missing")]
    lo, hi = spec
    out = [("-5", "negative"), ("abc", "non-numeric"), ("99999999999999999999", "overflow"), ("", "empty"),
           ("12abc", "trailing garbage"), (None, "missing")]
    if lo > 0:
        out.append(("0", "zero"))
    if hi is not None:
        out.append((str(hi + 1), "one over the maximum"))
    return out


# ---- running ----------------------------------------------------------------

fails = []
cases = 0
cases_lock = threading.Lock()


def run_case(what, cmd, want_bad, names, stdout_path=None):
    """want_bad: exit 2 with a message naming one of names; else exit 0/1."""
    global cases
    with cases_lock:
        cases += 1
        n = cases
    # an output of its own per case (campaign folder, explore and triage
    # folders, minimised file): cases run side by side
    own = {t("camp"): t("camp%d" % n), t("ex"): t("ex%d" % n), t("tri"): t("tri%d" % n),
           t("min.nmr"): t("min%d.nmr" % n)}
    cmd = [own.get(a, a) for a in cmd]
    t0 = time.monotonic()
    try:
        with open(stdout_path or os.devnull, "wb") as sink:
            p = subprocess.run(cmd, stdout=sink if stdout_path else subprocess.PIPE, stderr=subprocess.PIPE,
                               stdin=subprocess.DEVNULL, timeout=TIME_BOUND, cwd=tmp)
    except subprocess.TimeoutExpired:
        fails.append("%s: still running after %.0f s" % (what, TIME_BOUND))
        return
    secs = time.monotonic() - t0
    err = p.stderr.decode(errors="replace")
    out = p.stdout.decode(errors="replace") if p.stdout else ""
    for s in SANITIZER:
        if s in err or s in out:
            fails.append("%s: sanitizer report:\n%s" % (what, err[-2000:]))
            return
    if want_bad:
        if p.returncode != 2:
            fails.append("%s: exit %d, want 2 (stderr: %s)" % (what, p.returncode, err.strip()[-300:]))
        elif not any(n in err for n in names):
            fails.append("%s: the message does not name %s: %s" % (what, " or ".join(names), err.strip()[-300:]))
    elif p.returncode not in (0, 1):
        fails.append("%s: exit %d, want 0 or 1 (a valid input): %s" % (what, p.returncode, err.strip()[-300:]))
    if secs > TIME_BOUND / 2:
        print("slow: %s took %.1f s" % (what, secs))


def main():
    inputs = make_inputs()
    # The table's cases are independent (a folder each): one per core at a
    # time (the test runs alone, is_parallel: false, for TIME_BOUND's sake).
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        jobs = []
        for tool, (base, options) in TOOLS.items():
            for name, (path, ok_for) in inputs.items():
                jobs.append(pool.submit(run_case, "%s on %s input" % (tool, name), base + [path], tool not in ok_for,
                                        [path, os.path.basename(path)]))
            for opt, spec in options.items():
                for value, what in bad_values(spec):
                    # the option last when its value is missing; else before the input
                    cmd = base + [good, opt] if value is None else base + [opt, value, good]
                    jobs.append(pool.submit(run_case, "%s %s %s (%s)" % (
                        tool, opt, "" if value is None else repr(value), what), cmd, True, [opt]))
            # unknown options
            jobs.append(pool.submit(run_case, "%s --no-such-option" % tool, base + ["--no-such-option", good], True,
                                    ["--no-such-option"]))
        for j in jobs:
            j.result()  # an exception in a case is the test's failure

    # outputs that cannot be written: exit 2 naming them, before any work
    run_case("nmr-explore --out /dev/null", [build + "/tools/nmr-explore", "--quiet", "--out", "/dev/null", good],
             True, ["/dev/null"])
    run_case("nmr-triage --out /dev/null", [build + "/tools/nmr-triage", "--out", "/dev/null", good], True,
             ["/dev/null"])
    run_case("nmr-replay --record /dev/full", [build + "/replay/nmr-replay", "--quiet", "--record", "/dev/full", good],
             True, ["/dev/full"])
    run_case("nmr-minimize -o /dev/full", [build + "/tools/nmr-minimize", "-o", "/dev/full",
                                            os.path.join(src, "corpus", "rules", "M04-bad.nmr")], True, ["/dev/full"])
    run_case("nmr-campaign --dir /dev/null", TOOLS["nmr-campaign"][0] + ["--dir", "/dev/null", good], True,
             ["/dev/null"])
    # standard output on a full disk: exit 2, not a report nobody got
    for tool in ("nmr-replay", "nmr-explore", "nmr-triage", "nmr-rulecov", "nmr-detcheck"):
        run_case("%s > /dev/full" % tool, TOOLS[tool][0] + [good], True, ["No space left"], stdout_path="/dev/full")
    # a corrupt campaign journal is kept aside and reported, not overwritten
    os.makedirs(t("corrupt"))
    with open(t("corrupt", "campaign.json"), "w") as f:
        f.write('{"engine": "explore", "dura')
    run_case("nmr-campaign on a corrupt journal", TOOLS["nmr-campaign"][0] + ["--dir", t("corrupt"), good], True,
             ["campaign.json"])
    if not any(n.startswith("campaign.json.corrupt-") for n in os.listdir(t("corrupt"))):
        fails.append("the corrupt campaign.json was not kept aside")
    # empty folders: no qsort on NULL (UBSan), honest exit codes
    os.makedirs(t("empty-folder"))
    run_case("nmr-rulecov on an empty folder", [build + "/tools/nmr-rulecov", t("empty-folder")], True,
             [t("empty-folder")])
    run_case("nmr-detcheck on an empty folder", [build + "/tools/nmr-detcheck", t("empty-folder")], True,
             ["folder"])
    run_case("nmr-triage on an empty folder", [build + "/tools/nmr-triage", "--out", t("tri-empty"),
                                               t("empty-folder")], False, [])
    crash_cases()
    full_disk_case()
    print("%d cases, %d failed" % (cases, len(fails)))
    for f in fails:
        print("FAIL: " + f)
    shutil.rmtree(tmp, ignore_errors=True)
    return 1 if fails else 0


def crash_cases():
    """A driver that crashes (K08) in every run: nmr-explore records it with a
    reproducer and goes on (every run made, the next file explored); the
    reproducer replays to K08; nmr-triage lists it as a bug."""
    explore = build + "/tools/nmr-explore-kernel"
    triage = build + "/tools/nmr-triage-kernel"
    replay = build + "/corpus/kernel/nmr-replay-kernel"
    if not all(os.access(p, os.X_OK) for p in (explore, triage, replay, build + "/tools/nmr-rulecov-kernel")):
        print("SKIP (no kernel test drivers in this build): crash cases")
        return
    global cases
    cases += 1
    k08 = os.path.join(src, "corpus", "kernel", "K08-bad.nmr")
    k01 = os.path.join(src, "corpus", "kernel", "K01-bad.nmr")
    out = t("crash-ex")
    p = subprocess.run([explore, "--quiet", "--runs", "12", "--out", out, k08, k01], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=TIME_BOUND)
    if any(s in p.stderr for s in SANITIZER[:2]) and "K08" not in p.stderr:
        fails.append("nmr-explore on a crashing driver: sanitizer report outside the run:\n" + p.stderr[-2000:])
    if p.returncode != 1:
        fails.append("nmr-explore on a crashing driver: exit %d, want 1\n%s" % (p.returncode, p.stderr[-1000:]))
    if "24 runs over 2 file(s)" not in p.stdout:
        fails.append("nmr-explore did not go on after the crash: %s" % p.stdout.strip()[:400])
    if "12 run(s) crashed" not in p.stdout or "K08 k08_bad" not in p.stdout or "K01 k01_bad" not in p.stdout:
        fails.append("nmr-explore summary lacks the crash or the next file's bug: %s" % p.stdout.strip()[:600])
    repro = [os.path.join(out, n) for n in sorted(os.listdir(out)) if "K08" in n] if os.path.isdir(out) else []
    if len(repro) != 1:
        fails.append("nmr-explore wrote %d K08 reproducer(s), want 1" % len(repro))
    else:
        r = subprocess.run([replay, "--quiet", repro[0]], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=TIME_BOUND)
        if r.returncode != 1 or "signature: K08 k08_bad" not in r.stdout:
            fails.append("the K08 reproducer does not replay to K08 (exit %d): %s" % (r.returncode, r.stdout[-500:]))
    # the same exploration twice: the same findings (runs are pure functions of file and index)
    p2 = subprocess.run([explore, "--quiet", "--runs", "12", "--out", t("crash-ex2"), k08, k01],
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=TIME_BOUND)
    strip = lambda s: [l for l in s.splitlines() if not l.startswith("nmr-explore:") and "replay:" not in l]
    if strip(p.stdout) != strip(p2.stdout):
        fails.append("two explorations of a crashing driver differ")
    # a tool that runs inputs in its own process stops with exit 2 and says which input crashed
    rc = subprocess.run([build + "/tools/nmr-rulecov-kernel", k01, k08], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                        text=True, timeout=TIME_BOUND)
    if rc.returncode != 2 or "K08-bad.nmr crashed a driver" not in rc.stderr:
        fails.append("nmr-rulecov on a crashing driver: exit %d: %s" % (rc.returncode, rc.stderr[-600:]))
    q = subprocess.run([triage, "--out", t("crash-tri"), out], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=TIME_BOUND)
    if q.returncode != 1 or "K08 k08_bad SIGSEGV" not in q.stdout or "2 distinct bug(s)" not in q.stdout:
        fails.append("nmr-triage on a crash reproducer: exit %d: %s %s" % (q.returncode, q.stdout[-600:],
                                                                            q.stderr[-600:]))


def full_disk_case():
    """A campaign on a full disk (a 48 KiB tmpfs in a private mount
    namespace): exit 2 with a message saying so, a journal that still
    parses, and the same command resumes once there is space."""
    if not shutil.which("unshare"):
        print("SKIP (no unshare): full disk case")
        return
    global cases
    cases += 1
    mnt = t("small-disk")
    os.makedirs(mnt)
    camp = [sys.executable, campaign, "--engine", "explore", "--duration", "4s", "--dir", mnt + "/c", "--build", build,
            "--no-build", "--quiet", "--log-every", "2", "--keep", "0", good,
            os.path.join(src, "corpus", "examples", "stale-handle.nmr")]
    q = lambda cmd: " ".join("'%s'" % a for a in cmd)
    script = """
mount -t tmpfs -o size=48k tmpfs {mnt} || exit 99
{camp} > {log1} 2>&1; echo "first=$?"
python3 -c "import json; json.load(open('{mnt}/c/campaign.json')); json.load(open('{mnt}/c/progress.json'))" && echo journal=ok
mount -o remount,size=64M {mnt}
{camp} > {log2} 2>&1; echo "second=$?"
""".format(mnt=mnt, camp=q(camp), log1=t("full1.log"), log2=t("full2.log"))
    for flags in (["-m"], ["-r", "-m"]):   # root, else a user namespace
        p = subprocess.run(["unshare"] + flags + ["sh", "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=4 * TIME_BOUND)
        if p.returncode != 99 and "first=" in p.stdout:
            break
    else:
        print("SKIP (cannot mount a tmpfs in a private namespace): full disk case")
        return
    log1 = open(t("full1.log")).read() if os.path.exists(t("full1.log")) else ""
    log2 = open(t("full2.log")).read() if os.path.exists(t("full2.log")) else ""
    if "first=2" not in p.stdout or "No space left on device" not in log1:
        fails.append("campaign on a full disk: want exit 2 and 'No space left on device': %s\n%s" % (p.stdout, log1[-800:]))
    if "journal=ok" not in p.stdout:
        fails.append("campaign on a full disk: the journal does not parse afterwards")
    if "second=1" not in p.stdout or "resuming" not in log2:
        fails.append("campaign after the disk was freed: want a resume and exit 1: %s\n%s" % (p.stdout, log2[-800:]))


if __name__ == "__main__":
    sys.exit(main())
