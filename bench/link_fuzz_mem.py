#!/usr/bin/env python3
"""link_fuzz_mem.py - link bench/fuzz_mem.c against a build's fuzz target.

    link_fuzz_mem.py BUILDDIR TARGET RUNNER_C OUT

BUILDDIR is a Meson build (-Dfuzzing_engine=none) in which TARGET (e.g.
fuzz_scenario) is built. Its own link command (`ninja -t commands`) is
replayed with two changes: the standalone glue object (fuzz_engine.c.o, the
one with main) is replaced by the same source compiled with the build's own
command plus -DFUZZ_ENGINE_LIBFUZZER (so the target's LLVMFuzzerInitialize
and LLVMFuzzerTestOneInput), and RUNNER_C (bench/fuzz_mem.c, compiled with
the same compiler and flags) supplies main. Everything else (the harness
objects, the engine libraries, LTO flags if the build has them) is the
build's. So any revision's build links the same way, without knowing its
meson.build. Exit 2 with a message when the build has no such target.
"""
import json
import os
import shlex
import subprocess
import sys


def die(msg):
    sys.stderr.write("link_fuzz_mem: %s\n" % msg)
    sys.exit(2)


def run(argv, cwd):
    r = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        die("failed: %s\n%s" % (" ".join(argv), r.stdout))


def main():
    if len(sys.argv) != 5:
        die("usage: link_fuzz_mem.py BUILDDIR TARGET RUNNER_C OUT")
    build, target, runner_c, out = sys.argv[1:]
    build = os.path.abspath(build)
    runner_c, out = os.path.abspath(runner_c), os.path.abspath(out)
    glue_obj = "fuzz/%s.p/fuzz_engine.c.o" % target
    # The glue's compile command, from the build's compilation database.
    with open(os.path.join(build, "compile_commands.json")) as f:
        db = json.load(f)
    cc_cmd = None
    for e in db:
        argv = shlex.split(e["command"])
        if "-o" in argv and argv[argv.index("-o") + 1] == glue_obj:
            cc_cmd = argv
    if cc_cmd is None:
        die("%s: no %s in compile_commands.json" % (build, glue_obj))
    # The target's link command: the last command ninja runs for it.
    r = subprocess.run(["ninja", "-C", build, "-t", "commands", "fuzz/" + target],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    cmds = [c for c in r.stdout.splitlines() if c.strip()]
    if r.returncode != 0 or not cmds:
        die("%s: no link command for fuzz/%s" % (build, target))
    link = shlex.split(cmds[-1])
    if glue_obj not in link or "-o" not in link:
        die("%s: unexpected link command: %s" % (build, cmds[-1]))

    glue_lf = out + ".glue.o"
    runner_o = out + ".runner.o"
    # Drop the dependency-file flags; the output is ours.
    skip = {"-MD": 0, "-MQ": 1, "-MF": 1}
    lf = []
    i = 0
    while i < len(cc_cmd):
        a = cc_cmd[i]
        if a in skip:
            i += 1 + skip[a]
            continue
        if a == "-o":
            lf += ["-o", glue_lf]
            i += 2
            continue
        lf.append(a)
        i += 1
    lf.insert(1, "-DFUZZ_ENGINE_LIBFUZZER")
    run(lf, build)
    # The runner: same compiler and optimisation, no engine headers needed;
    # not LTO, so LLVMFuzzerTestOneInput stays a function of its own
    # (callgrind's --toggle-collect counts the runs by it).
    opt = [a for a in cc_cmd if a.startswith("-O") or a == "-g"]
    run([cc_cmd[0], "-std=c11", "-D_GNU_SOURCE"] + opt + ["-c", runner_c, "-o", runner_o], build)
    k = link.index(glue_obj)
    link[k:k + 1] = [glue_lf, runner_o]
    link[link.index("-o") + 1] = out
    run(link, build)


if __name__ == "__main__":
    main()
