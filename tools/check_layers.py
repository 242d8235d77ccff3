#!/usr/bin/env python3
"""Checks that carebridge's folders stay layered.

Each source folder of mappers/ and gateway/ is one CMake library, declared by a
`carebridge_folder_library(folder dependency ...)` call in its CMakeLists.txt.
Those calls are the allowed-links table. This check fails when:

  - the declared links have a cycle;
  - a file includes a header of a folder its own folder does not link, directly
    or through another (an upward or sideways include);
  - a folder holding sources is not declared as a library;
  - a rule below is broken (the mappers stay pure; policy and the store know no
    HTTP; only store/sqlite knows SQLite and only store/postgresql libpq; api,
    http, intake and delivery never reach a store backend, only its interface);
  - with --readme, the README's layer diagram is not the one the links give.

Usage: tools/check_layers.py [--readme README.md [--write]] [--print] [ROOT]
--write puts the diagram the links give into the README instead of checking it.
Exit 0 when the tree is layered, 1 with one line per finding otherwise.
"""

import os
import re
import sys

ROOTS = ("mappers", "gateway")
SOURCE_EXTENSIONS = (".hpp", ".cpp")

# The store's backends: only server/, cli/ and the tests open one; every
# other folder sees the Store interface (gateway/store) alone.
STORE_BACKENDS = ("store_sqlite", "store_postgresql")
# Libraries a folder may never reach, however the links are written.
FORBIDDEN_REACH = {
    "policy": ("http", "api", "server", "store", "delivery", "intake") + STORE_BACKENDS,
    "store": ("http", "api", "server", "policy", "delivery", "intake") + STORE_BACKENDS,
    "store/sqlite": ("http", "api", "server", "policy", "delivery", "intake", "store_postgresql"),
    "store/postgresql": ("http", "api", "server", "policy", "delivery", "intake", "store_sqlite"),
    "http": ("store", "api", "server", "intake", "delivery") + STORE_BACKENDS,
    "api": STORE_BACKENDS,
    "intake": STORE_BACKENDS,
    "delivery": STORE_BACKENDS,
    "audit": ("store", "http", "api", "server", "policy", "config") + STORE_BACKENDS,
}
# System headers only these folders (or their subfolders) may include.
SYSTEM_HEADERS = {
    "sqlite3.h": ("gateway/store/sqlite",),
    "libpq-fe.h": ("gateway/store/postgresql",),
    "boost/": ("gateway",),
}

CALL = re.compile(r"carebridge_folder_library\(([^)]*)\)", re.S)
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^">]+)[">]', re.M)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def parse_libraries(top):
    """folder (e.g. gateway/store) -> declared carebridge dependencies (folder names)."""
    libraries = {}
    for root in ROOTS:
        for directory, _, files in os.walk(os.path.join(top, root)):
            if "CMakeLists.txt" not in files:
                continue
            text = read(os.path.join(directory, "CMakeLists.txt"))
            text = re.sub(r"#[^\n]*", "", text)
            base = os.path.relpath(directory, top)
            for call in CALL.finditer(text):
                words = call.group(1).split()
                folder, dependencies = words[0], []
                for word in words[1:]:
                    if word == "SOURCES":
                        break
                    if "::" in word or word.startswith("$"):
                        continue
                    dependencies.append(word)
                libraries[os.path.join(base, folder)] = dependencies
    return libraries


def library_name(folder):
    return folder.split("/", 1)[1].replace("/", "_")


def resolve_dependencies(libraries):
    """Dependency names -> folders: a name is looked up in the declaring root first, then mappers/."""
    by_name = {}
    for folder in libraries:
        by_name.setdefault(library_name(folder), []).append(folder)
    findings, graph = [], {}
    for folder, names in libraries.items():
        edges = []
        for name in names:
            candidates = by_name.get(name.replace("/", "_"), [])
            same_root = [c for c in candidates if c.split("/")[0] == folder.split("/")[0]]
            chosen = same_root or candidates
            if not chosen:
                findings.append(f"{folder}: links {name}, which no carebridge_folder_library declares")
                continue
            edges.append(chosen[0])
        graph[folder] = edges
    return graph, findings


def find_cycle(graph):
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in graph.get(node, []):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def closure(graph, folder):
    seen, todo = set(), [folder]
    while todo:
        for nxt in graph.get(todo.pop(), []):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def owning_library(path, libraries):
    """The declared folder a file (relative to the top) belongs to: the longest declared prefix."""
    best = None
    for folder in libraries:
        if path.startswith(folder + "/") and (best is None or len(folder) > len(best)):
            best = folder
    return best


def resolve_include(top, including, header):
    """The file a quoted include names, relative to the top, or None when it is not the project's."""
    local = os.path.normpath(os.path.join(os.path.dirname(including), header))
    if os.path.isfile(os.path.join(top, local)):
        return local
    for root in ROOTS:
        candidate = os.path.join(root, header)
        if os.path.isfile(os.path.join(top, candidate)):
            return candidate
    return None


def layers(graph):
    """Each folder's level: 0 for those that link nothing, else one above the highest it links."""
    level = {}

    def of(folder):
        if folder not in level:
            level[folder] = 1 + max((of(d) for d in graph[folder]), default=-1)
        return level[folder]

    for folder in graph:
        of(folder)
    return level


def diagram(graph):
    level = layers(graph)
    lines = []
    for n in range(max(level.values()), -1, -1):
        row = sorted(f for f in level if level[f] == n)
        lines.append(f"{n:2}  " + "  ".join(row))
    return "\n".join(lines)


def write_diagram(top, readme):
    path = os.path.join(top, readme)
    text = read(path)
    wanted = diagram(resolve_dependencies(parse_libraries(top))[0])
    text, n = re.subn(r"(<!-- layers:begin -->\n```\n).*?(```\n<!-- layers:end -->)",
                      lambda m: m.group(1) + wanted + "\n" + m.group(2), text, flags=re.S)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return n == 1


def check(top, readme=None):
    libraries = parse_libraries(top)
    graph, findings = resolve_dependencies(libraries)
    cycle = find_cycle(graph)
    if cycle:
        findings.append("the folder links have a cycle: " + " -> ".join(cycle))
        return findings, graph
    reach = {folder: closure(graph, folder) for folder in graph}

    for folder, forbidden in FORBIDDEN_REACH.items():
        full = "gateway/" + folder
        for target in reach.get(full, ()):
            if library_name(target) in forbidden:
                findings.append(f"{full} reaches {target}, which it must never depend on")
    for folder in graph:
        if folder.startswith("mappers/"):
            for target in reach[folder]:
                if target.startswith("gateway/"):
                    findings.append(f"{folder} reaches {target}: the mappers stay pure")

    for root in ROOTS:
        for directory, _, files in os.walk(os.path.join(top, root)):
            for name in sorted(files):
                if not name.endswith(SOURCE_EXTENSIONS):
                    continue
                path = os.path.relpath(os.path.join(directory, name), top)
                owner = owning_library(path, libraries)
                if owner is None:
                    findings.append(f"{path}: its folder is not a library (add carebridge_folder_library)")
                    continue
                text = read(os.path.join(top, path))
                for kind, header in INCLUDE.findall(text):
                    if kind == "<":
                        for prefix, allowed in SYSTEM_HEADERS.items():
                            if header.startswith(prefix) and not any(path.startswith(a + "/") for a in allowed):
                                findings.append(f"{path}: includes <{header}>, which only {', '.join(allowed)} may")
                        continue
                    target = resolve_include(top, path, header)
                    if target is None:
                        continue
                    target_owner = owning_library(target, libraries)
                    if target_owner is None or target_owner == owner or target_owner in reach[owner]:
                        continue
                    findings.append(f'{path}: includes "{header}", but {owner} does not link {target_owner}')

    if readme:
        text = read(os.path.join(top, readme))
        block = re.search(r"<!-- layers:begin -->\n```\n(.*?)```\n<!-- layers:end -->", text, re.S)
        wanted = diagram(graph)
        if not block:
            findings.append(f"{readme}: no layer diagram between <!-- layers:begin --> and <!-- layers:end -->")
        elif block.group(1).rstrip("\n") != wanted:
            findings.append(f"{readme}: the layer diagram is out of date; tools/check_layers.py --print gives:\n{wanted}")
    return findings, graph


def main(argv):
    readme, show, write, top = None, False, False, None
    args = iter(argv)
    for arg in args:
        if arg == "--readme":
            readme = next(args, None)
        elif arg == "--write":
            write = True
        elif arg == "--print":
            show = True
        elif arg in ("-h", "--help"):
            print(__doc__)
            return 0
        else:
            top = arg
    top = top or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if write and readme and not write_diagram(top, readme):
        print(f"check_layers: {readme} has no <!-- layers:begin --> block to write", file=sys.stderr)
        return 1
    findings, graph = check(top, readme)
    if show and not any("cycle" in f for f in findings):
        print(diagram(graph))
    for finding in findings:
        print("check_layers: " + finding, file=sys.stderr)
    if not findings and not show:
        print(f"check_layers: {len(graph)} folders, no cycle, every include within the links")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
