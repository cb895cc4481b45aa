package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/cachekitprom"
)

// metricsAddrHint says what --metrics-addr accepts.
const metricsAddrHint = "--metrics-addr takes a loopback address: 127.0.0.1:PORT, [::1]:PORT or localhost:PORT " +
	"(PORT 0 picks a free one); put a proxy in front to expose it further"

// metricsShutdownTimeout bounds how long the end of a command waits for scrapes in flight.
const metricsShutdownTimeout = 2 * time.Second

// loopbackAddr checks a --metrics-addr value and returns the address to listen on. Only loopback is
// allowed: the endpoint has no authentication and names keys' kinds and the store's endpoints, so a
// command run on a server must not publish it by accident. "localhost" is listened on as 127.0.0.1,
// so the address printed is the one bound whatever the resolver says.
func loopbackAddr(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("--metrics-addr %q: want HOST:PORT (%v)", addr, errors.Unwrap(err))
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return "", fmt.Errorf("--metrics-addr %q: port %q is not a number from 0 to 65535", addr, port)
	}
	switch {
	case host == "":
		return "", fmt.Errorf("--metrics-addr %q would listen on every interface; only loopback is allowed", addr)
	case host == "localhost":
		return net.JoinHostPort("127.0.0.1", port), nil
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return "", fmt.Errorf("--metrics-addr %q: %q is not an IP address or localhost (names other than localhost are not resolved)", addr, host)
	}
	if !ip.IsLoopback() {
		return "", fmt.Errorf("--metrics-addr %q: %s is not a loopback address; only loopback is allowed", addr, host)
	}
	return net.JoinHostPort(ip.String(), port), nil
}

// metricsServer serves /metrics of one Cache while a command runs.
type metricsServer struct {
	srv  *http.Server
	col  *cachekitprom.Collector
	done chan struct{}
	url  string
}

// serveMetrics listens on addr (already checked by loopbackAddr) and serves the Cache's metrics
// (cachekitprom) plus the Go runtime and process collectors on /metrics, announcing the URL on stderr.
func serveMetrics(addr string, cache *cachekit.Cache, stderr io.Writer) (*metricsServer, error) {
	reg := prometheus.NewRegistry()
	col := cachekitprom.New(cache)
	if err := reg.Register(col); err != nil {
		col.Close()
		return nil, fmt.Errorf("--metrics-addr: %w", err)
	}
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		col.Close()
		return nil, fmt.Errorf("--metrics-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	m := &metricsServer{
		srv:  &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second},
		col:  col,
		done: make(chan struct{}),
		url:  "http://" + ln.Addr().String() + "/metrics",
	}
	go func() {
		defer close(m.done)
		_ = m.srv.Serve(ln) // ends with ErrServerClosed at stop
	}()
	fmt.Fprintf(stderr, "metrics: %s\n", m.url)
	return m, nil
}

// stop ends the server (letting scrapes in flight finish, within a bound) and detaches the collector.
func (m *metricsServer) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), metricsShutdownTimeout)
	defer cancel()
	if m.srv.Shutdown(ctx) != nil {
		m.srv.Close()
	}
	<-m.done
	m.col.Close()
}
