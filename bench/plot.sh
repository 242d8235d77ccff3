#!/usr/bin/env bash
# Draws the scaling curves as PNG with gnuplot from the TSV files bench/run.sh
# leaves in RESULTS_DIR (medians, with the range of the runs as error bars):
#   http_connections.png  req/s and p99 against connections, carebridge beside nginx and Node
#   http_body_size.png    req/s and p99 against body size, carebridge beside nginx
#   carenotes_scaling.png stream time and peak RSS against export size
#   audit_scaling.png     append rate and `audit verify` time against log size
#   postgresql.png        req/s and p99 against gateway instances on one PostgreSQL, SQLite beside
# A curve whose TSV is missing (a section not run) is skipped.
# Usage: bench/plot.sh RESULTS_DIR
set -euo pipefail
dir=${1:?usage: bench/plot.sh RESULTS_DIR}
command -v gnuplot > /dev/null || { echo "plot.sh: gnuplot is not installed (bench/install.sh installs it)" >&2; exit 1; }

# split_targets TSV: one file per target (TSV.TARGET) without the header, so
# gnuplot draws a line per server.
split_targets() {
  awk -F'\t' -v base="$1" 'NR > 1 { print > (base "." $1) }' "$1"
}

# draw: gnuplot on stdin; its warnings (an axis of one point in a smoke run) are shown only when it fails.
draw() {
  gnuplot 2> "$dir/gnuplot.log" || { cat "$dir/gnuplot.log" >&2; return 1; }
  rm -f "$dir/gnuplot.log"
}

# Debian's gnuplot-nox has the cairo PNG terminal.
common='set terminal pngcairo size 1100,440 font ",10"; set grid; set key top left; set datafile separator "\t"'

if [ -f "$dir/http_intake_curve.tsv" ]; then
  split_targets "$dir/http_intake_curve.tsv"
  plots_rate= plots_p99=
  for t in carebridge nginx node node-durable; do
    [ -f "$dir/http_intake_curve.tsv.$t" ] || continue
    plots_rate+="'$dir/http_intake_curve.tsv.$t' using 3:4:5:6 with yerrorlines title '$t', "
    plots_p99+="'$dir/http_intake_curve.tsv.$t' using 3:7:8:9 with yerrorlines title '$t', "
  done
  draw <<EOF
$common
set output '$dir/http_connections.png'
set multiplot layout 1,2 title "HTTPS POST of the golden FHIR Bundle, one server core, median and range of the runs"
set logscale x 2; set xlabel 'connections'
set ylabel 'requests/s'; set logscale y
plot ${plots_rate%, }
set ylabel 'p99 latency (ms)'
plot ${plots_p99%, }
unset multiplot
EOF
  rm -f "$dir"/http_intake_curve.tsv.*
fi

if [ -f "$dir/http_body_size_curve.tsv" ]; then
  split_targets "$dir/http_body_size_curve.tsv"
  plots_rate= plots_p99=
  for t in carebridge nginx; do
    [ -f "$dir/http_body_size_curve.tsv.$t" ] || continue
    plots_rate+="'$dir/http_body_size_curve.tsv.$t' using (\$2/1024):4:5:6 with yerrorlines title '$t', "
    plots_p99+="'$dir/http_body_size_curve.tsv.$t' using (\$2/1024):7:8:9 with yerrorlines title '$t', "
  done
  draw <<EOF
$common
set output '$dir/http_body_size.png'
set multiplot layout 1,2 title "HTTPS POST of FHIR Bundles by size, one server core, median and range of the runs"
set logscale x 10; set xlabel 'body (KB)'; set key top right
set ylabel 'requests/s'; set logscale y
plot ${plots_rate%, }
set ylabel 'p99 latency (ms)'
plot ${plots_p99%, }
unset multiplot
EOF
  rm -f "$dir"/http_body_size_curve.tsv.*
fi

if [ -f "$dir/carenotes_scaling.tsv" ]; then
  draw <<EOF
$common
set output '$dir/carenotes_scaling.png'
set multiplot layout 1,2 title "Streaming a care-notes export (XSD-validated, mapped), one core"
set logscale x 10; set xlabel 'export (MB)'; set key off
set ylabel 'seconds (median, range)'; set logscale y
plot '$dir/carenotes_scaling.tsv' using 2:3:4:5 skip 1 with yerrorlines
unset logscale y; set yrange [0:*]
set ylabel 'peak RSS of the streaming process (MB)'
plot '$dir/carenotes_scaling.tsv' using 2:9 skip 1 with linespoints
unset multiplot
EOF
fi

if [ -f "$dir/audit_scaling.tsv" ]; then
  draw <<EOF
$common
set output '$dir/audit_scaling.png'
set multiplot layout 1,2 title "The audit log: durable appends and carebridge audit verify, by log size"
set logscale x 10; set xlabel 'entries in the log'; set key off
set ylabel 'append: entries/s (range of five parts)'; set yrange [0:*]
plot '$dir/audit_scaling.tsv' using 1:3:4:5 skip 1 with yerrorlines
set ylabel 'audit verify: seconds (median, range)'; set logscale y; set yrange [*:*]
plot '$dir/audit_scaling.tsv' using 1:7:8:9 skip 1 with yerrorlines
unset multiplot
EOF
fi
if [ -f "$dir/postgresql_curve.tsv" ]; then
  # One file per store and connection count: a PostgreSQL line over the instances, the
  # SQLite gateway as a point at one instance in the same colour.
  awk -F'\t' -v base="$dir/postgresql_curve.tsv" 'NR > 1 { print > (base "." ($1 == "sqlite" ? "sqlite" : "pg") "." $3) }' \
    "$dir/postgresql_curve.tsv"
  plots_rate= plots_p99= colour=0
  for c in $(awk -F'\t' 'NR > 1 { print $3 }' "$dir/postgresql_curve.tsv" | sort -nu); do
    colour=$((colour + 1))
    if [ -f "$dir/postgresql_curve.tsv.pg.$c" ]; then
      plots_rate+="'$dir/postgresql_curve.tsv.pg.$c' using 2:4:5:6 with yerrorlines lc $colour title 'PostgreSQL, $c conn.', "
      plots_p99+="'$dir/postgresql_curve.tsv.pg.$c' using 2:7:8:9 with yerrorlines lc $colour title 'PostgreSQL, $c conn.', "
    fi
    if [ -f "$dir/postgresql_curve.tsv.sqlite.$c" ]; then
      plots_rate+="'$dir/postgresql_curve.tsv.sqlite.$c' using 2:4:5:6 with yerrorbars lc $colour pt 7 title 'SQLite, $c conn.', "
      plots_p99+="'$dir/postgresql_curve.tsv.sqlite.$c' using 2:7:8:9 with yerrorbars lc $colour pt 7 title 'SQLite, $c conn.', "
    fi
  done
  draw <<EOF
$common
set output '$dir/postgresql.png'
set multiplot layout 1,2 title "HTTPS POST of the golden FHIR Bundle: gateway instances on one PostgreSQL (servers on one core), median and range"
set xlabel 'gateway instances'; set xrange [0.5:3.5]; set xtics 1; set key top right
set ylabel 'requests/s (all instances)'; set yrange [0:*]
plot ${plots_rate%, }
set ylabel 'p99 latency (ms)'
plot ${plots_p99%, }
unset multiplot
EOF
  rm -f "$dir"/postgresql_curve.tsv.*
fi
ls "$dir"/*.png 2>/dev/null | sed 's/^/plot: /' || true
