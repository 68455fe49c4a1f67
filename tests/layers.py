#!/usr/bin/env python3
"""layers.py SIM_DIR [OBJ_DIR]: the engine's layers call only downward.

The layer order is sim/meson.build's `sim_layers` list (lowest first). Two
checks, each a failure on its own:
  - includes: a file of layer L includes "X/..." only for X at or below L;
  - symbols (with OBJ_DIR, the objects of libnmrsim): every symbol an object
    of layer L uses that another engine object defines is defined at or below
    L, so no call or data reference climbs a layer (hooks go through function
    pointers the higher layer installs, which the linker does not see).
Also: no source file over 600 lines, tables excepted (LINE_LIMIT_EXEMPT).
"""
import os
import re
import subprocess
import sys

LINE_LIMIT = 600
LINE_LIMIT_EXEMPT = {  # files that are mostly tables, by path under sim/; and files still to split
}


def layers_of(sim):
    text = open(os.path.join(sim, 'meson.build')).read()
    m = re.search(r"sim_layers\s*=\s*\[([^\]]*)\]", text)
    if not m:
        sys.exit('layers.py: no sim_layers list in sim/meson.build')
    return re.findall(r"'([a-z_]+)'", m.group(1))


def main():
    if len(sys.argv) < 2:
        sys.exit('usage: layers.py SIM_DIR [OBJ_DIR]')
    sim = sys.argv[1]
    order = layers_of(sim)
    rank = {name: i for i, name in enumerate(order)}
    bad = []
    nfiles = 0
    for layer in order:
        folder = os.path.join(sim, layer)
        for f in sorted(os.listdir(folder)):
            if not f.endswith(('.c', '.h')):
                continue
            nfiles += 1
            path = os.path.join(folder, f)
            lines = open(path).read().split('\n')
            rel = layer + '/' + f
            if len(lines) > LINE_LIMIT and rel not in LINE_LIMIT_EXEMPT:
                bad.append('%s: %d lines (limit %d)' % (rel, len(lines), LINE_LIMIT))
            for n, line in enumerate(lines, 1):
                m = re.match(r'\s*#\s*include\s+"([a-z_]+)/', line)
                if m and m.group(1) in rank and rank[m.group(1)] > rank[layer]:
                    bad.append('%s:%d: includes %s (layer %s is above %s)' % (rel, n, line.split('"')[1], m.group(1), layer))
    nsyms = 0
    if len(sys.argv) > 2:
        objdir = sys.argv[2]
        defined, used = {}, {}
        for o in sorted(os.listdir(objdir)):
            if not o.endswith('.o'):
                continue
            layer = o.split('_', 1)[0]
            if layer not in rank:
                bad.append('%s: object of no known layer' % o)
                continue
            out = subprocess.run(['nm', os.path.join(objdir, o)], capture_output=True, text=True, check=True).stdout
            for line in out.splitlines():
                parts = line.split()
                if len(parts) == 3 and parts[1] in 'TDBRCGS':
                    defined[parts[2]] = (layer, o)
                elif len(parts) == 2 and parts[0] == 'U':
                    used.setdefault(o, (layer, []))[1].append(parts[1])
        for o, (layer, syms) in sorted(used.items()):
            for sym in syms:
                if sym in defined:
                    nsyms += 1
                    dlayer, dobj = defined[sym]
                    if rank[dlayer] > rank[layer]:
                        bad.append('%s (%s) uses %s of %s (%s): a call upward' % (o, layer, sym, dobj, dlayer))
    for b in bad:
        print('layers:', b)
    print('layers: %d layers, %d files, %d cross-object references checked, %d problems' % (len(order), nfiles, nsyms, len(bad)))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
