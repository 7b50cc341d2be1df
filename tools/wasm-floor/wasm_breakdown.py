#!/usr/bin/env python3
"""Code bytes per crate-ish prefix, from a WASM's code section + name section (pre-wasm-opt, names kept).
Usage: wasm_breakdown.py FILE.wasm [top_n]"""
import sys, re, collections
def leb(b, i):
    r = s = 0
    while True:
        x = b[i]; i += 1; r |= (x & 0x7f) << s; s += 7
        if x < 0x80: return r, i
data = open(sys.argv[1], 'rb').read(); i = 8
nimports = 0; bodies = []; names = {}
while i < len(data):
    sid = data[i]; i += 1; size, i = leb(data, i); end = i + size
    if sid == 2:
        n, j = leb(data, i)
        for _ in range(n):
            l, j = leb(data, j); j += l; l, j = leb(data, j); j += l
            kind = data[j]; j += 1
            if kind == 0: _, j = leb(data, j); nimports += 1
            elif kind == 1: j += 1; fl, j = leb(data, j); _, j = leb(data, j); j = leb(data, j)[1] if fl & 1 else j
            elif kind == 2: fl, j = leb(data, j); _, j = leb(data, j); j = leb(data, j)[1] if fl & 1 else j
            elif kind == 3: j += 2
            elif kind == 4: j += 1; _, j = leb(data, j)
    elif sid == 10:
        n, j = leb(data, i)
        for _ in range(n):
            l, j = leb(data, j); bodies.append(l); j += l
    elif sid == 0:
        l, j = leb(data, i); nm = data[j:j+l].decode(); j += l
        if nm == 'name':
            while j < end:
                sub = data[j]; j += 1; ssz, j = leb(data, j); se = j + ssz
                if sub == 1:
                    n, k = leb(data, j)
                    for _ in range(n):
                        idx, k = leb(data, k); l, k = leb(data, k); names[idx] = data[k:k+l].decode('utf8', 'replace'); k += l
                j = se
    i = end
def bucket(name):
    n = re.sub(r'^_?<', '', name)
    n = n.lstrip('&').replace('dyn ', '').replace('core::', 'core::').strip()
    m = re.match(r'([A-Za-z_][A-Za-z0-9_]*)', n)
    return m.group(1) if m else '?'
tot = collections.Counter(); total = sum(bodies)
for k, sz in enumerate(bodies):
    tot[bucket(names.get(nimports + k, '?'))] += sz
print(f'code section: {total} B in {len(bodies)} functions')
for b, sz in tot.most_common(int(sys.argv[2]) if len(sys.argv) > 2 else 25):
    print(f'{sz:9d} {100*sz/total:5.1f}%  {b}')
