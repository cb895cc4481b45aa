#!/usr/bin/env bash
# bench/run.sh — cachekit's side-by-side benchmarks, from a fresh clone: bash bench/run.sh
#
# 1. makes sure Debian's redis-server and redis-cli are installed (as .ci/run does);
# 2. starts, on free loopback ports, one standalone redis-server and a Cluster of three masters (as
#    internal/redistest does for the tests), and stops them on exit;
# 3. builds the benchmark binary once and runs it RUNS times, interleaved (-test.count=1 per run, so a
#    slow phase of the machine hits every benchmark alike), appending to RESULTS.raw.txt;
# 4. writes RESULTS.md: machine, Go version, date, GOMAXPROCS, the command, `benchstat -col /impl` and
#    the ratios table (cachekit / baseline with intervals, and the targets of issues 6 and 14, each met,
#    within noise or not met; cmd/ratios).
#
# Options (environment): RUNS (default 6), BENCH (benchmark regexp, default .), BENCHTIME (per
# sub-benchmark, default 500ms), CPU (a -test.cpu list, default the machine's GOMAXPROCS).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
bench_dir=$(pwd)

RUNS=${RUNS:-6}
BENCH=${BENCH:-.}
BENCHTIME=${BENCHTIME:-500ms}
CPU=${CPU:-}
raw_file=$bench_dir/RESULTS.raw.txt
results=$bench_dir/RESULTS.md

case $RUNS in '' | *[!0-9]* | 0) echo "RUNS must be a positive integer, got '$RUNS'" >&2; exit 2 ;; esac

started=$SECONDS
work=$(mktemp -d "${TMPDIR:-/tmp}/cachekit-bench.XXXXXX")
pids=()
cleanup() {
  local rc=$? pid
  for pid in ${pids[@]+"${pids[@]}"}; do kill "$pid" 2>/dev/null || true; done
  for pid in ${pids[@]+"${pids[@]}"}; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
  if [ "$rc" != 0 ]; then echo "run.sh: failed (exit $rc) after $((SECONDS - started)) s" >&2; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '== %s\n' "$*"; }

# --- Redis binaries -------------------------------------------------------------------------------------
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi; }
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v redis-cli >/dev/null || missing+=(redis-tools)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  # Keep the package from starting Debian's own server on 6379 (policy-rc.d exit 101: start no service).
  policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    as_root sh -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d'
    policy=/usr/sbin/policy-rc.d
  fi
  install_rc=0
  { as_root apt-get update -qq && as_root apt-get install -y -qq --no-install-recommends "${missing[@]}"; } || install_rc=$?
  [ -z "$policy" ] || as_root rm -f "$policy"
  [ "$install_rc" = 0 ] || { echo "cannot install ${missing[*]} (apt-get exit $install_rc); install Redis yourself" >&2; exit "$install_rc"; }
fi
redis_version=$(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p')
say "redis-server $redis_version at $(command -v redis-server)"

# --- Redis servers --------------------------------------------------------------------------------------
# port_free reports whether nothing listens on 127.0.0.1:$1.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# pick_port prints a free port p in 20000-39999 whose cluster bus port p+10000 is free too.
pick_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 20000))
    if port_free "$p" && port_free $((p + 10000)); then echo "$p"; return 0; fi
  done
  echo "no free loopback port found" >&2
  return 1
}

# start_server NAME ARGS... starts redis-server on a free port (retrying on another port if it does not
# come up), records its pid in pids, and sets server_port once the server answers PING. (It runs in this
# shell, not in a command substitution, so that pids keeps the pid for cleanup.)
server_port=""
start_server() {
  local name=$1 port pid attempt
  shift
  for attempt in 1 2 3 4 5; do
    port=$(pick_port)
    redis-server --port "$port" --bind 127.0.0.1 --protected-mode no --save "" --appendonly no \
      --dir "$work" --daemonize no --logfile "$work/$name-$port.log" "$@" >/dev/null 2>&1 &
    pid=$!
    pids+=("$pid")
    for _ in $(seq 1 100); do
      if [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ]; then server_port=$port; return 0; fi
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.05
    done
    kill "$pid" 2>/dev/null || true
    echo "$name did not start on port $port (attempt $attempt): $(tail -n 3 "$work/$name-$port.log" 2>/dev/null)" >&2
  done
  return 1
}

start_server standalone
standalone=$server_port
cluster_ports=()
for i in 1 2 3; do
  start_server "cluster$i" --cluster-enabled yes --cluster-config-file "$work/nodes-$i.conf" \
    --cluster-announce-ip 127.0.0.1
  cluster_ports+=("$server_port")
done
cluster_addrs=()
for p in "${cluster_ports[@]}"; do cluster_addrs+=("127.0.0.1:$p"); done
redis-cli --cluster create "${cluster_addrs[@]}" --cluster-replicas 0 --cluster-yes >"$work/cluster-create.log" 2>&1 ||
  { cat "$work/cluster-create.log" >&2; exit 1; }
for p in "${cluster_ports[@]}"; do
  ok=""
  for _ in $(seq 1 300); do
    info=$(redis-cli -h 127.0.0.1 -p "$p" cluster info 2>/dev/null | tr -d '\r')
    if grep -qx 'cluster_state:ok' <<<"$info" && grep -qx 'cluster_known_nodes:3' <<<"$info" &&
      grep -qx 'cluster_slots_ok:16384' <<<"$info"; then ok=1; break; fi
    sleep 0.1
  done
  [ -n "$ok" ] || { echo "cluster node 127.0.0.1:$p never reported a healthy cluster of 3" >&2; exit 1; }
done
export CACHEKIT_BENCH_REDIS="127.0.0.1:$standalone"
export CACHEKIT_BENCH_CLUSTER
CACHEKIT_BENCH_CLUSTER=$(IFS=,; echo "${cluster_addrs[*]}")
say "standalone $CACHEKIT_BENCH_REDIS; cluster $CACHEKIT_BENCH_CLUSTER"

# --- Build and check ------------------------------------------------------------------------------------
say "building the benchmark binary"
go test -c -o "$work/bench.test" .
go build -o "$work/ratios" ./cmd/ratios

say "round-trip test (GetMany/SetMany of 100 keys, counted with a go-redis hook)"
roundtrip_rc=0
"$work/bench.test" -test.run '^TestManyRoundTrips$' -test.v -test.count=1 >"$work/roundtrip.txt" 2>&1 || roundtrip_rc=$?
cat "$work/roundtrip.txt"

# --- Runs -----------------------------------------------------------------------------------------------
bench_args=(-test.run '^$' -test.bench "$BENCH" -test.benchtime "$BENCHTIME" -test.count 1 -test.benchmem)
[ -z "$CPU" ] || bench_args+=(-test.cpu "$CPU")
command_line="bench.test$(printf ' %q' "${bench_args[@]}")"
: >"$raw_file"
for run in $(seq 1 "$RUNS"); do
  t0=$SECONDS
  "$work/bench.test" "${bench_args[@]}" >"$work/run.txt" 2>&1 || { cat "$work/run.txt" >&2; exit 1; }
  cat "$work/run.txt" >>"$raw_file"
  say "run $run/$RUNS done in $((SECONDS - t0)) s"
done
if grep -q -- '--- SKIP' "$raw_file"; then
  echo "warning: some benchmarks skipped:" >&2
  grep -A1 -- '--- SKIP' "$raw_file" | head -n 20 >&2
fi

# --- RESULTS.md -----------------------------------------------------------------------------------------
say "writing RESULTS.md"
# One benchstat table per group of benchmarks, so each shows only the implementations it compares.
sections=(
  "In-process: memory backend and tiered L1 vs raw ristretto (and otter v2, a reference)|.name:/^(Memory|Tiered)/"
  "Redis backend vs raw go-redis (and, with 50 goroutines, go-redis AutoPipeline and rueidis)|.name:/^Redis/"
  "Typed reads through a local cache: cachekit tiered vs go-redis/cache and rueidis client-side caching|.name:/^(TypedHotGet|ReadHeavy)/"
  "Codec layer vs the raw libraries (120 candles)|.name:/^Codec/"
  "Full Cache Get of 120 candles (memory backend): json vs msgpack|.name:/^CacheGetCandles/"
  "Invalidation over 100,000 keys (1 % matching) vs hand-written SCAN+UNLINK|.name:/^(ClearSymbol|DeletePattern)/"
)
config_lines='^(gomaxprocs|numcpu|goversion|goos|goarch|pkg|cpu): '
benchstat_tables=""
for section in "${sections[@]}"; do
  title=${section%%|*} filter=${section#*|}
  table=$(go tool benchstat -col /impl -filter "$filter" "$raw_file" 2>&1 | grep -Ev "$config_lines" || true)
  [ -n "$(tr -d '[:space:]' <<<"$table")" ] || continue
  benchstat_tables+=$'\n'"### $title"$'\n\n```\n'"$table"$'\n```\n'
done
ratios_table=$("$work/ratios" "$raw_file")
cpu_model=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -n1)
gomaxprocs=$(sed -n 's/^gomaxprocs: //p' "$raw_file" | head -n1)
if [ "$roundtrip_rc" = 0 ]; then roundtrip="PASS"; else roundtrip="FAIL (exit $roundtrip_rc)"; fi
elapsed=$((SECONDS - started))
# The last section, "## Recorded by hand", holds figures measured outside this script (moved out of doc
# comments so that they cannot go stale unseen there); it is kept as it is.
by_hand=""
if [ -f "$results" ]; then
  by_hand=$(sed -n '/^## Recorded by hand/,$p' "$results")
fi
{
  echo "# cachekit benchmark results"
  echo
  echo "Written by \`bench/run.sh\`; do not edit by hand, except the last section, \"Recorded by hand\", which run.sh keeps."
  echo "The raw figures (benchfmt) are in \`bench/RESULTS.raw.txt\` on"
  echo "the machine that ran it (git-ignored); \`go tool benchstat -col /impl RESULTS.raw.txt\` reads them."
  echo
  echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- Machine: $(nproc) CPUs, ${cpu_model:-unknown CPU} ($(uname -sm))"
  echo "- Go: $(go version | cut -d' ' -f3-); GOMAXPROCS=${gomaxprocs:-?}"
  echo "- Redis: redis-server $redis_version on loopback (one standalone, a Cluster of 3 masters)"
  echo "- Command: \`RUNS=$RUNS BENCH='$BENCH' BENCHTIME=$BENCHTIME${CPU:+ CPU=$CPU} bash bench/run.sh\`, i.e. $RUNS interleaved run(s) of"
  echo "  \`$command_line\`, then \`benchstat -col /impl RESULTS.raw.txt\`"
  echo "- Round-trip test (\`TestManyRoundTrips\`: GetMany/SetMany(100) = 1 round trip on standalone, 1 per master on Cluster): $roundtrip"
  echo "- Total time of run.sh: ${elapsed} s"
  echo
  echo "## Ratios (cachekit / baseline) and the targets of issues 6 and 14"
  echo
  echo "$ratios_table"
  echo
  echo "## benchstat -col /impl"
  echo
  echo "Columns compare each implementation with the first one (the baseline). Configuration of every run:"
  echo
  echo '```'
  grep -E "$config_lines" "$raw_file" | awk '!seen[$0]++'
  echo '```'
  echo "$benchstat_tables"
  if [ -n "$by_hand" ]; then
    echo
    echo "$by_hand"
  fi
} >"$results.new"
mv "$results.new" "$results"
say "wrote $results and $raw_file in $elapsed s"
[ "$roundtrip_rc" = 0 ] || { echo "TestManyRoundTrips failed: see $results" >&2; exit 1; }
