// Command metrics runs a market-data workload over cachekit and serves its Prometheus metrics (package
// cachekitprom), for the Grafana dashboard in docs/grafana and the picture docs/grafana/render.sh
// draws of it:
//
//	go run ./examples/metrics -addr 127.0.0.1:9464 -duration 3m
//
// Without REDIS_URL it runs one in-process cache (memory://). With REDIS_URL (redis://127.0.0.1:6379/0)
// it runs two instances of a tiered cache (L1 in-process, L2 that Redis), as two bots would, so writes
// on one invalidate the other's L1; each instance serves its own /metrics, on -addr and -addr-b, so
// Prometheus sees them as two targets. Both addresses must be loopback.
//
// The workload mixes Fetch of tickers, OHLCV series, deals and order books with loaders of exchange-like
// latency, some Gets, writes and deletes, and, from 30% of the run for an eighth of it, a burst of
// loader errors, during which the fail-safe policies serve stale values.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/cachekitprom"
	_ "github.com/cachekit/cachekit/store/memory" // registers memory://
	_ "github.com/cachekit/cachekit/store/redis"  // registers redis://
	_ "github.com/cachekit/cachekit/store/tiered" // registers tiered://
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9464", "loopback address of the first instance's /metrics")
	addrB := flag.String("addr-b", "127.0.0.1:9465", "loopback address of the second instance's /metrics (with REDIS_URL)")
	duration := flag.Duration("duration", 3*time.Minute, "how long the workload runs")
	workers := flag.Int("workers", 4, "concurrent callers per instance")
	flag.Parse()
	if err := run(*addr, *addrB, os.Getenv("REDIS_URL"), *duration, *workers); err != nil {
		log.Fatal(err)
	}
}

func run(addr, addrB, redisURL string, duration time.Duration, workers int) error {
	if duration <= 0 || workers <= 0 {
		return fmt.Errorf("-duration %v and -workers %d must be positive", duration, workers)
	}
	urls := []string{"memory://?max_bytes=4MiB"}
	addrs := []string{addr}
	if redisURL != "" {
		// A small L1 so that it evicts; l1_ttl bounds how long an L1 copy is served unconfirmed.
		tiered := "tiered://?l1=" + url.QueryEscape("memory://?max_bytes=512KiB") + "&l2=" + url.QueryEscape(redisURL) + "&l1_ttl=2s"
		urls, addrs = []string{tiered, tiered}, []string{addr, addrB}
	}
	listeners := make([]net.Listener, len(addrs))
	for i, a := range addrs {
		ln, err := listenLoopback(a)
		if err != nil {
			return err
		}
		defer ln.Close()
		listeners[i] = ln
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, duration)
	defer cancel()

	w, err := newWorkload(duration)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	for i, u := range urls {
		// OHLCV's built-in TTL lasts until the candle closes (a day for 1d); a minute keeps its loader busy.
		c, err := cachekit.Open(ctx, u, cachekit.WithNamespace("demo"), cachekit.WithKindTTL("ohlcv", time.Minute))
		if err != nil {
			return fmt.Errorf("open %s: %w", redact(u), err)
		}
		defer c.Close()
		reg := prometheus.NewRegistry()
		if err := reg.Register(cachekitprom.New(c)); err != nil {
			return err
		}
		srv := &http.Server{Handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = srv.Serve(listeners[i]) }()
		defer srv.Close()
		log.Printf("instance %d: %s, metrics on http://%s/metrics", i, redact(u), listeners[i].Addr())
		for range workers {
			wg.Go(func() { w.run(ctx, c) })
		}
	}
	wg.Wait()
	log.Printf("done: %s", w.summary())
	return nil
}

// listenLoopback listens on addr, refusing any address that is not a loopback one: the metrics show
// key kinds and store endpoints, and this example has no business being reachable from elsewhere.
func listenLoopback(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("-addr %q: %w", addr, err)
	}
	ip := net.ParseIP(host)
	if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("-addr %q: not a loopback address (want 127.0.0.1:port, [::1]:port or localhost:port)", addr)
	}
	return net.Listen("tcp", addr)
}

// redact drops credentials from a URL for the log (a nested one in tiered:// may carry a password too).
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	if u.Scheme == "tiered" {
		return "tiered:// (L2 " + redact(u.Query().Get("l2")) + ")"
	}
	if u.User == nil {
		return s
	}
	return u.Redacted()
}

var errUpstream = errors.New("upstream: 503 service unavailable")
