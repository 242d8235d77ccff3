#!/usr/bin/env python3
"""Summarises a bench/run.sh results directory as Markdown: where carebridge
stands against each target of the performance issue (each figure measured
beside its peer in the same run), then every section's table.

Usage: summarise.py RESULTS_DIR MODE          prints the summary
       summarise.py --into RESULTS_MD SUMMARY  puts SUMMARY between the generated-section
                                               markers of RESULTS_MD (added at the end if absent)
       summarise.py --into RESULTS_MD SUMMARY --section NAME
                                               replaces only section NAME's block (its
                                               "<!-- section: NAME -->" marker up to the next one
                                               or the curves) in the generated section, or adds it
                                               before the curves: a run of one section that
                                               leaves the others' figures alone
"""
import csv
import json
import os
import statistics
import sys

BEGIN = "<!-- bench/run.sh: generated section, rewritten by every full or quick run -->"
END = "<!-- bench/run.sh: end of generated section -->"


CURVES = "### Curves"
# A section that draws its own curve shows it in its block, not in the list of curves.
SECTION_PNG = {"postgresql": "postgresql.png"}


def section_marker(name):
    return f"<!-- section: {name} -->"


def block_span(text, name, start=0, stop=None):
    """(begin, end) of section NAME's block in text[start:stop], or None: from its marker to
    the next section's marker, the curves, or stop."""
    stop = len(text) if stop is None else stop
    at = text.find(section_marker(name), start, stop)
    if at < 0:
        return None
    ends = [i for i in (text.find("<!-- section: ", at + 1, stop), text.find(CURVES, at, stop)) if i >= 0]
    return at, min(ends + [stop])


def into(results_md, summary_path, section=None):
    text = open(results_md).read()
    summary = open(summary_path).read()
    if section is None:
        block = BEGIN + "\n" + summary.rstrip() + "\n" + END
        if BEGIN in text and END in text:
            text = text[: text.index(BEGIN)] + block + text[text.index(END) + len(END):]
        else:
            text = text.rstrip() + "\n\n" + block + "\n"
    else:
        span = block_span(summary, section)
        if span is None:
            sys.exit(f"summarise.py: {summary_path} has no section {section}")
        block = summary[span[0]:span[1]].rstrip() + "\n\n"
        if BEGIN not in text or END not in text:
            text = text.rstrip() + "\n\n" + BEGIN + "\n" + END + "\n"
        begin, end = text.index(BEGIN), text.index(END)
        old = block_span(text, section, begin, end)
        if old is None:
            curves = text.find(CURVES, begin, end)
            at = curves if curves >= 0 else end
            old = (at, at)
        text = text[: old[0]] + block + text[old[1]:]
    with open(results_md, "w") as out:
        out.write(text)


def read_tsv(path):
    return list(csv.DictReader(open(path), delimiter="\t")) if os.path.exists(path) else []


def read(path):
    return open(path).read().strip() if os.path.exists(path) else ""


def mapper_medians(path):
    """run_name -> (CPU seconds per iteration, bytes/s, cv or None) from Google Benchmark's JSON.
    CPU time, not real time: on a shared machine the wall clock counts others' turns on the core."""
    if not os.path.exists(path):
        return {}
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
    found, cvs = {}, {}
    for b in json.load(open(path))["benchmarks"]:
        name = b.get("run_name", b["name"])
        if b.get("error_occurred"):
            continue
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") == "median":
                found[name] = (b["cpu_time"] * scale[b["time_unit"]], b.get("bytes_per_second", 0))
            elif b.get("aggregate_name") == "cv":
                cvs[name] = b["cpu_time"]
        elif name not in found:
            found[name] = (b["cpu_time"] * scale[b["time_unit"]], b.get("bytes_per_second", 0))
    return {k: (v[0], v[1], cvs.get(k)) for k, v in found.items()}


# bench/run.sh's section that writes each file.
SECTION_OF = {"translate_peers.md": "translate", "http_intake.md": "http", "http_body_size.md": "body",
              "postgresql.md": "postgresql", "carenotes_scaling.md": "carenotes", "audit_scaling.md": "audit"}


def fmt_time(seconds):
    return f"{seconds * 1e3:,.1f} ms" if seconds >= 1e-3 else f"{seconds * 1e6:,.1f} µs"


def main(results, mode):
    out = []
    say = out.append
    say(f"## Latest run ({mode})\n")
    for line in read(os.path.join(results, "machine.txt")).splitlines():
        say(f"- {line}")
    say("- The machine is shared with other sessions compiling: absolute figures are noisy. Every comparison "
        "below is made against a peer measured in the same run, on the same inputs, interleaved run by run, "
        "so a noisy moment hits both sides; the ratio is the figure to read.\n")

    mappers = mapper_medians(os.path.join(results, "mappers.json"))
    translate = read_tsv(os.path.join(results, "translate_peers.tsv"))
    ratios = read_tsv(os.path.join(results, "http_intake_ratios.tsv"))
    carenotes = read_tsv(os.path.join(results, "carenotes_scaling.tsv"))

    say("### Against the issue's targets\n")
    say("| target | where we stand | |")
    say("|---|---|---|")
    # Each translation against the bare parser's own cost for the same bytes:
    # one pass over its input and one over its output (RapidJSON parse + write
    # for JSON, the libxml2 reader for XML).
    bare_in = {"fhir": "BM_RapidJsonParseWrite/fhir", "referral": "BM_RapidJsonParseWrite/referral",
               "carenotes": "BM_Libxml2ReaderPass"}
    names = {"fhir": "FHIR", "referral": "partnership JSON", "carenotes": "care-notes"}
    cells = []
    worst = 0.0
    for src in ("fhir", "referral", "carenotes"):
        for dst in ("fhir", "referral", "carenotes"):
            t = f"BM_Translate/{src}_to_{dst}"
            if src == dst or t not in mappers or bare_in[src] not in mappers or f"BM_BareOutput/{dst}" not in mappers:
                continue
            r = mappers[t][0] / (mappers[bare_in[src]][0] + mappers[f"BM_BareOutput/{dst}"][0])
            worst = max(worst, r)
            cells.append(f"{names[src]} → {names[dst]} {r:.2f}×")
    if cells:
        say(f"| translation within 3× of the bare parser's cost (a pass over the input and one over the output: "
            f"RapidJSON parse + write, libxml2 reader; CPU time) | "
            f"{'; '.join(cells)} | {'**met** in every direction' if worst <= 3 else '**not met**: worst ' + format(worst, '.2f') + '×'} |")
    if translate:
        by_run = {}
        for r in translate:
            by_run.setdefault(r["run"], {})[r["side"]] = float(r["us_per_document"])
        rs = [v["FHIR.js jsonToXml"] / v["carebridge fhir→carenotes"] for v in by_run.values() if len(v) == 2]
        m = statistics.median(rs)
        say(f"| ≥ 20× faster than FHIR.js on the same documents | {m:,.0f}× (runs {min(rs):,.0f}–{max(rs):,.0f}×) | "
            f"{'**met**' if m >= 20 else '**not met**'} |")
    for peer, goal, label in (("nginx", 0.6, "end-to-end durable intake ≥ 60 % of nginx's req/s for the same POST"),
                              ("node", 10.0, "end-to-end durable intake ≥ 10× node-fhir-server-core's req/s")):
        rs = [r for r in ratios if r["peer"] == peer]
        if not rs:
            continue
        worst_r = min(float(r["ratio"]) for r in rs)
        shown = "; ".join(f"{int(r['connections'])} conn. {float(r['ratio']) * (100 if peer == 'nginx' else 1):.{0 if peer == 'nginx' else 1}f}"
                          f"{' %' if peer == 'nginx' else '×'}" for r in rs)
        verdict = "**met** at every connection count" if worst_r >= goal else (
            f"**not met**: the gap is {goal / worst_r:.1f}× at the worst point" if peer == "nginx"
            else f"**not met**: worst {worst_r:.1f}×")
        say(f"| {label} | {shown} | {verdict} |")
    if carenotes:
        rates = [float(r["mb_per_cpu_s"]) for r in carenotes]
        wall = [float(r["mb_s"]) for r in carenotes]
        rss = [float(r["peak_rss_mb"]) for r in carenotes]
        flat = max(rss) - min(rss) <= max(1.0, 0.1 * min(rss))
        largest = carenotes[-1]
        say(f"| care-notes streaming ≥ 100 MB/s with flat memory | {float(largest['mb_per_cpu_s']):.1f} MB per CPU second on "
            f"{float(largest['export_mb']):,.0f} MB ({min(rates):.1f}–{max(rates):.1f} across sizes; by the wall clock, "
            f"shared machine: {min(wall):.1f}–{max(wall):.1f} MB/s); peak RSS "
            f"{min(rss):.1f}–{max(rss):.1f} MB from {float(carenotes[0]['export_mb']):,.0f} to {float(largest['export_mb']):,.0f} MB | "
            f"{'**met**' if min(rates) >= 100 and flat else '**not met**: ' + ('speed' if min(rates) < 100 else '') + (' and ' if min(rates) < 100 and not flat else '') + ('memory grows' if not flat else '') + (f' ({100 / min(rates):.2f}× short)' if min(rates) < 100 else '')} |")
    say("| avoidable copies, allocations, syscalls on the hot path removed, before/after shown | see \"A hot-path change, "
        "before and after\" (written by hand: callgrind and strace counts, and both binaries in one run) | |\n")

    if mappers:
        say("### Mappers (Google Benchmark, core 0, median of the repetitions)\n")
        say("| benchmark | CPU time | MB/s | cv |")
        say("|---|---:|---:|---:|")
        for name, (t, bps, cv) in mappers.items():
            say(f"| {name} | {fmt_time(t)} | {bps / 1e6:,.1f} | {'' if cv is None else format(100 * cv, '.1f') + ' %'} |")
        say("")
    for title, name in (("Peer translator", "translate_peers.md"), ("HTTPS intake beside nginx and Node", "http_intake.md"),
                        ("HTTPS intake by body size", "http_body_size.md"),
                        ("HTTPS intake on PostgreSQL, several instances", "postgresql.md"),
                        ("Care-notes export size against time and memory", "carenotes_scaling.md"),
                        ("Audit log size against append rate and verify time", "audit_scaling.md")):
        text = read(os.path.join(results, name))
        if not text:
            continue
        lines = text.splitlines()
        if lines and lines[0].startswith("# "):
            title = lines[0][2:]  # the section's own title says more (mode, runs, sizes)
            lines = lines[1:]
        section = SECTION_OF[name]
        say(section_marker(section))
        say(f"### {title}\n")
        say("\n".join(lines).strip() + "\n")
        png = SECTION_PNG.get(section)
        if png and os.path.exists(os.path.join(results, png)):
            say(f"![{png}](results/{png})\n")
    pngs = sorted(f for f in os.listdir(results) if f.endswith(".png") and f not in SECTION_PNG.values())
    if pngs:
        say(CURVES + "\n")
        for p in pngs:
            say(f"![{p}](results/{p})")
        say("")
    print("\n".join(out))


if __name__ == "__main__":
    if sys.argv[1] == "--into":
        into(sys.argv[2], sys.argv[3], sys.argv[5] if len(sys.argv) > 5 and sys.argv[4] == "--section" else None)
    else:
        main(sys.argv[1], sys.argv[2])
