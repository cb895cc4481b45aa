#!/usr/bin/env bash
# render.sh draws docs/grafana-dashboard.png from a real scrape, without Grafana:
#   1. a redis-server on a free loopback port (skipped when there is none: the workload then runs over
#      memory:// alone, with no L2, invalidations or breakers to show),
#   2. examples/metrics: two tiered instances over that Redis, each serving /metrics on loopback,
#   3. a Prometheus scraping both every second into a temporary directory,
#   4. halfway through, a Redis outage of 8 s (SIGSTOP/SIGCONT), so the breakers open and the L1 serves
#      stale; the workload adds its own loader error burst at 30% of the run,
#   5. then docs/grafana/render runs each panel's own queries against Prometheus's HTTP API and lays
#      the panels out by their gridPos in one HTML page, which headless Chromium screenshots.
# Needs: go, prometheus (Debian's package), chromium; redis-server optional.
#
#   docs/grafana/render.sh [minutes]      # default 4; writes docs/grafana-dashboard.png
# OUT=path writes the picture elsewhere; KEEP_HTML=path keeps the HTML page.
set -euo pipefail
cd "$(dirname "$0")/../.."
minutes=${1:-4}
[[ $minutes =~ ^[1-9][0-9]*$ ]] || { echo "render.sh: minutes must be a positive whole number, got '$minutes'" >&2; exit 2; }
out=${OUT:-docs/grafana-dashboard.png}

chrome=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
for need in go prometheus; do
	command -v "$need" >/dev/null || { echo "render.sh: $need not found (apt-get install -y prometheus chromium)" >&2; exit 1; }
done
[[ -n $chrome ]] || { echo "render.sh: chromium not found (apt-get install -y chromium)" >&2; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill -CONT "$pid" 2>/dev/null || true; kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

# free_port prints a loopback TCP port nothing listens on.
free_port() {
	local p
	for p in $(shuf -i 20000-59999 -n 100); do
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
	done
	echo "render.sh: no free port" >&2; exit 1
}
wait_http() { # url what
	for _ in $(seq 100); do curl -fsS -o /dev/null "$1" 2>/dev/null && return; sleep 0.2; done
	echo "render.sh: $2 did not come up ($1)" >&2; exit 1
}

go build -o "$work/metrics" ./examples/metrics
go build -o "$work/render" ./docs/grafana/render

redis_pid=""
note="Workload: examples/metrics over memory:// (no redis-server found)."
if command -v redis-server >/dev/null; then
	rport=$(free_port)
	redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" \
		--maxmemory 32mb --maxmemory-policy allkeys-lru >"$work/redis.log" 2>&1 &
	redis_pid=$!; pids+=("$redis_pid")
	for _ in $(seq 50); do redis-cli -p "$rport" ping >/dev/null 2>&1 && break; sleep 0.1; done
	export REDIS_URL="redis://127.0.0.1:$rport/0"
	note="Workload: examples/metrics, two tiered instances (L1 memory, L2 a local redis-server) with a loader error burst at 30% of the run and a Redis outage (SIGSTOP for 8 s) at 60%."
fi

a=$(free_port); b=$(free_port); pport=$(free_port)
"$work/metrics" -addr "127.0.0.1:$a" -addr-b "127.0.0.1:$b" -duration "$((minutes * 60 + 60))s" >"$work/metrics.log" 2>&1 &
pids+=("$!")
wait_http "http://127.0.0.1:$a/metrics" "examples/metrics"

cat >"$work/prometheus.yml" <<YML
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: cachekit
    static_configs: [{targets: ['127.0.0.1:$a', '127.0.0.1:$b']}]
YML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
	--web.listen-address="127.0.0.1:$pport" --log.level=warn >"$work/prometheus.log" 2>&1 &
pids+=("$!")
wait_http "http://127.0.0.1:$pport/-/ready" "prometheus"

total=$((minutes * 60))
echo "render.sh: scraping for $minutes min (prometheus on 127.0.0.1:$pport)"
sleep $((total * 6 / 10))
if [[ -n $redis_pid ]]; then
	echo "render.sh: Redis outage: SIGSTOP for 8 s"
	kill -STOP "$redis_pid"; sleep 8; kill -CONT "$redis_pid"
	sleep $((total - total * 6 / 10 - 8))
else
	sleep $((total - total * 6 / 10))
fi

height=$("$work/render" -prom "http://127.0.0.1:$pport" -dashboard docs/grafana/cachekit.json \
	-range "${minutes}m" -out "$work/dashboard.html" -note "$note")
"$chrome" --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=1 \
	--window-size="1600,$height" --screenshot="$(realpath -m "$out")" "file://$work/dashboard.html" >"$work/chromium.log" 2>&1 ||
	{ cat "$work/chromium.log" >&2; exit 1; }
[[ -s $out ]] || { echo "render.sh: chromium wrote no $out" >&2; cat "$work/chromium.log" >&2; exit 1; }
[[ -z ${KEEP_HTML:-} ]] || cp "$work/dashboard.html" "$KEEP_HTML"
echo "render.sh: wrote $out (1600x$height); workload log:"
tail -n 5 "$work/metrics.log"
