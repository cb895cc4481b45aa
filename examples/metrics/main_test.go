package main

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestListenLoopbackRefusesOtherAddresses(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:0", "example.com:0", "127.0.0.1"} {
		if ln, err := listenLoopback(addr); err == nil {
			ln.Close()
			t.Errorf("listenLoopback(%q) listened; want an error", addr)
		}
	}
	ln, err := listenLoopback("127.0.0.1:0")
	if err != nil {
		t.Fatalf("listenLoopback(127.0.0.1:0): %v", err)
	}
	ln.Close()
}

// TestServesTheDashboardsMetrics runs the workload over memory:// briefly and checks that its /metrics
// has the series the dashboard's in-process panels query (the tiered ones need Redis: render.sh).
func TestServesTheDashboardsMetrics(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	done := make(chan error, 1)
	go func() { done <- run(addr, "127.0.0.1:0", "", 4*time.Second, 2) }()

	want := []string{`cachekit_operations_total{kind="ticker",op="fetch",outcome="hit"}`,
		`cachekit_operations_total{kind="ohlcv",op="load",outcome="ok"}`,
		`cachekit_operation_duration_seconds_bucket{op="fetch"`, `cachekit_load_duration_seconds_bucket{kind="deals"`,
		`cachekit_store_hits_total{tier="l1"}`, `cachekit_store_misses_total{tier="l1"}`,
		`cachekit_store_keys{tier="l1"}`, `cachekit_store_memory_bytes{tier="l1"}`,
		`cachekit_store_evictions_total{tier="l1"}`, `cachekit_namespace_keys`, `cachekit_store_up 1`}
	var missing []string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		body, err := scrape("http://" + addr + "/metrics")
		if err != nil {
			continue
		}
		missing = missing[:0]
		for _, w := range want {
			if !strings.Contains(body, w) {
				missing = append(missing, w)
			}
		}
		if len(missing) == 0 {
			break
		}
	}
	if len(missing) > 0 {
		t.Errorf("/metrics lacks %v", missing)
	}
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
}

func scrape(url string) (string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}
