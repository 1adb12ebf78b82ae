#!/usr/bin/env python3
"""No import circle between the modules of a crate: reads each crate's `crate::<module>`
references (use lines and paths in code) and fails when the graph of top-level modules has
a cycle. `lib.rs`/`main.rs` count as the module `crate` only for items they define themselves;
`pub use` re-exports and `mod` lines are the crate's facade, not dependencies."""
import os, re, sys

def modules(src):
    out = {}
    for root, _, files in os.walk(src):
        for f in files:
            if not f.endswith('.rs'):
                continue
            path = os.path.join(root, f)
            rel = os.path.relpath(path, src)
            parts = rel[:-3].split(os.sep)
            top = parts[0]
            if top in ('lib', 'main'):
                top = 'crate'
            out.setdefault(top, []).append(path)
    return out

def refs(path, names):
    text = open(path, encoding='utf-8').read()
    # strip comments and tests
    text = re.sub(r'//[^\n]*', '', text)
    cut = text.find('#[cfg(test)]')
    if cut >= 0:
        text = text[:cut]
    found = set()
    for m in re.finditer(r'\bcrate::(\w+)', text):
        found.add(m.group(1))
    # `use crate::{a, b::c}`
    for m in re.finditer(r'\bcrate::\{([^}]*)\}', text):
        for item in re.split(r'[,\s]+', m.group(1)):
            head = item.split('::')[0]
            if head:
                found.add(head)
    if os.path.basename(path) in ('lib.rs', 'main.rs'):
        # a facade's re-exports are not its dependencies
        for m in re.finditer(r'pub use (\w+)::', text):
            found.discard(m.group(1))
    return {f if f in names else 'crate' for f in found}

def cycle(graph):
    state, stack = {}, []
    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if m == n:
                continue
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state:
                c = visit(m)
                if c:
                    return c
        stack.pop()
        state[n] = 2
        return None
    for n in sorted(graph):
        if n not in state:
            c = visit(n)
            if c:
                return c
    return None

status = 0
for crate in sys.argv[1:]:
    src = os.path.join(crate, 'src')
    mods = modules(src)
    names = set(mods) - {'crate'}
    graph = {m: set().union(*(refs(p, names) for p in paths)) - {m} for m, paths in mods.items()}
    c = cycle(graph)
    if c:
        print(f"{crate}: import circle: {' -> '.join(c)}", file=sys.stderr)
        status = 1
    else:
        print(f"{crate}: {len(mods)} modules, no import circle")
sys.exit(status)
