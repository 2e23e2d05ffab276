#!/usr/bin/env python3
"""Import cycles between the workspace's Rust files.

Reads every non-test `.rs` file under each crate's `src/`, finds the paths
it names into its own crate (`crate::a::b`, `$crate::a::b`, `super::a`,
`self::a`), resolves each to the file of the deepest module that exists, and
reports each set of files that import each other in a loop (a strongly
connected component of two or more files). A parent declaring `mod child;`
is not an import, nor is what a file's own unit tests use.

Usage: python3 scripts/imports.py [crate folder ...]   (default: every crate)
Prints one line per crate and each cycle's files; exits 1 if any cycle is found.
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PATH = re.compile(r'(\$crate|crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)+)')
GROUP = re.compile(r'\buse\s+(crate|super|self)((?:::[a-z_][a-z0-9_]*)*)::\{([^;]*)\}', re.S)


def module_of(src, path):
    """The module path (list of names) of a file under src/."""
    rel = os.path.relpath(path, src)[:-3].split(os.sep)
    if rel[-1] in ('lib', 'main', 'mod'):
        rel = rel[:-1]
    return rel


def file_of(src, module):
    """The file of the deepest existing module along `module`, or None."""
    for n in range(len(module), -1, -1):
        parts = module[:n]
        if not parts:
            return os.path.join(src, 'lib.rs') if os.path.exists(os.path.join(src, 'lib.rs')) else None
        for cand in (os.path.join(src, *parts) + '.rs', os.path.join(src, *parts, 'mod.rs')):
            if os.path.exists(cand):
                return cand
    return None


def edges(src, path):
    text = open(path, encoding='utf-8').read()
    text = re.sub(r'//[^\n]*', '', text)
    # A file's own unit tests (`#[cfg(test)] mod tests { … }`, at its end) are not its imports.
    test_module = re.search(r'#\[cfg\(test\)\]\s*mod tests\s*\{', text)
    if test_module:
        text = text[: test_module.start()]
    here = module_of(src, path)
    is_mod = os.path.basename(path) in ('mod.rs', 'lib.rs', 'main.rs')
    targets = set()
    paths = [(m.group(1), m.group(2)) for m in PATH.finditer(text)]
    for g in GROUP.finditer(text):
        for item in re.split(r'[,{}\s]+', g.group(3)):
            name = item.split('::')[0]
            if re.fullmatch(r'[a-z_][a-z0-9_]*', name or ''):
                paths.append((g.group(1), g.group(2) + '::' + item.replace(' ', '')))
    for root, rest in paths:
        names = [n for n in rest.split('::') if n]
        if root in ('crate', '$crate'):
            module = names
        else:
            base = here if is_mod else here[:-1]
            if root == 'super':
                base = base[:-1]
                while names and names[0] == 'super':
                    base, names = base[:-1], names[1:]
            module = base + names
        target = file_of(src, module)
        if target and target != path:
            targets.add(target)
    return targets


def cycles(graph):
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in graph:
        if v not in index:
            visit(v)
    return out


def main():
    crates = sys.argv[1:] or sorted(
        d for d in os.listdir(ROOT) if os.path.exists(os.path.join(ROOT, d, 'Cargo.toml')) and d != 'target'
    )
    found = 0
    for crate in crates:
        src = os.path.join(ROOT, crate, 'src')
        files = [os.path.join(d, f) for d, _, fs in os.walk(src) for f in fs if f.endswith('.rs')]
        files = [f for f in files if not f.endswith(os.sep + 'tests.rs') and os.sep + 'tests' + os.sep not in f]
        graph = {f: edges(src, f) for f in files}
        loops = cycles(graph)
        found += len(loops)
        print(f'{crate}: {len(files)} files, {sum(len(t) for t in graph.values())} imports, {len(loops)} cycles')
        for loop in loops:
            print('  cycle: ' + ' <-> '.join(os.path.relpath(f, ROOT) for f in loop))
    sys.exit(1 if found else 0)


if __name__ == '__main__':
    main()
