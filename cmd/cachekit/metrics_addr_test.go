package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestLoopbackAddr(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:0":    "127.0.0.1:0",
		"127.0.0.1:9091": "127.0.0.1:9091",
		"127.1.2.3:80":   "127.1.2.3:80",
		"[::1]:0":        "[::1]:0",
		"localhost:0":    "127.0.0.1:0",
	} {
		if got, err := loopbackAddr(in); err != nil || got != want {
			t.Errorf("loopbackAddr(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for in, why := range map[string]string{
		":9091":             "would listen on every interface",
		"0.0.0.0:9091":      "0.0.0.0 is not a loopback address",
		"[::]:9091":         ":: is not a loopback address",
		"10.1.2.3:9091":     "10.1.2.3 is not a loopback address",
		"example.com:9091":  `"example.com" is not an IP address or localhost`,
		"9091":              "want HOST:PORT",
		"127.0.0.1:metrics": `port "metrics" is not a number`,
		"127.0.0.1:70000":   `port "70000" is not a number`,
	} {
		_, err := loopbackAddr(in)
		if err == nil || !strings.Contains(err.Error(), why) || !strings.Contains(err.Error(), in) {
			t.Errorf("loopbackAddr(%q): %v; want an error naming the address and saying %q", in, err, why)
		}
	}
}

// --metrics-addr is a global flag: a non-loopback address is a usage error, before or after the command.
func TestMetricsAddrRefusesNonLoopback(t *testing.T) {
	for _, args := range [][]string{
		{"--metrics-addr", "0.0.0.0:9091", "stats"},
		{"stats", "--metrics-addr=0.0.0.0:9091"},
		{"demo", "--metrics-addr", "0.0.0.0:9091", "--duration", "10ms"},
	} {
		r := newCLI(t).withSharedMemory().run("", args...).expect(t, exitUsage)
		got := lines(r.stderr)
		if r.stdout != "" || len(got) != 2 || !strings.Contains(got[0], `"0.0.0.0:9091"`) || !strings.Contains(got[0], "only loopback is allowed") ||
			!strings.HasPrefix(got[1], "hint: --metrics-addr takes a loopback address") {
			t.Errorf("%q: stdout %q stderr %q", args, r.stdout, got)
		}
	}
}

var metricsURLLine = regexp.MustCompile(`(?m)^metrics: (http://127\.0\.0\.1:[0-9]+/metrics)$`)

// The demo with --metrics-addr 127.0.0.1:0 announces the bound address, serves the cache's metrics
// while it runs, and stops serving when it ends.
func TestDemoServesMetricsWhileRunning(t *testing.T) {
	var stdout, stderr syncBuffer
	a := newApp(strings.NewReader(""), &stdout, &stderr)
	a.lookupEnv = func(string) (string, bool) { return "", false }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	code := make(chan int, 1)
	go func() {
		code <- a.run(ctx, []string{"--metrics-addr", "127.0.0.1:0", "demo", "--duration", "1m", "--latency", "0",
			"--jitter", "0", "--symbols", "QRL/USDT", "--no-progress"})
	}()

	var url string
	for deadline := time.Now().Add(20 * time.Second); url == ""; time.Sleep(10 * time.Millisecond) {
		if m := metricsURLLine.FindStringSubmatch(stderr.String()); m != nil {
			url = m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no \"metrics: http://127.0.0.1:PORT/metrics\" line on stderr: %q", stderr.String())
		}
	}
	var body string
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(body, `cachekit_operations_total{kind="ticker",op="fetch",outcome="hit"}`); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the demo's ticker fetch hits never showed in %s:\n%s", url, body)
		}
		resp, err := http.Get(url)
		if err != nil {
			t.Fatalf("scraping %s while the demo runs: %v", url, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body = string(b)
	}
	for _, want := range []string{"cachekit_store_up 1", `cachekit_store_keys{tier="l1"}`, "go_goroutines ", "process_cpu_seconds_total "} {
		if !strings.Contains(body, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}

	cancel() // Ctrl-C
	select {
	case c := <-code:
		if c != exitInterrupted {
			t.Errorf("interrupted demo: exit code %d, want %d\n%s", c, exitInterrupted, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the demo did not end after the interrupt")
	}
	host := strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/metrics")
	if conn, err := net.DialTimeout("tcp", host, time.Second); err == nil {
		conn.Close()
		t.Errorf("%s still accepts connections after the demo ended", host)
	}
}

// An ops command kept alive serves its metrics too: top's own store, scraped by a second top.
func TestTopServesItsOwnMetrics(t *testing.T) {
	var stdout, stderr syncBuffer
	a := newApp(strings.NewReader(""), &stdout, &stderr)
	a.lookupEnv = func(string) (string, bool) { return "", false }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- a.run(ctx, []string{"top", "--cache", "memory://", "--metrics-addr", "localhost:0", "--interval", "50ms"})
	}()
	var url string
	for deadline := time.Now().Add(20 * time.Second); url == ""; time.Sleep(10 * time.Millisecond) {
		if m := metricsURLLine.FindStringSubmatch(stderr.String()); m != nil {
			url = m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no metrics line: %q", stderr.String())
		}
	}
	r := newCLI(t).run("", "top", "--metrics", url, "--count", "1").expect(t, exitOK)
	if !strings.Contains(r.stdout, " mem=") || field(r.stdout, "breakers") != "none" {
		t.Errorf("top of top's metrics: %q", r.stdout)
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Errorf("top after Ctrl-C: exit %d", code)
	}
}
