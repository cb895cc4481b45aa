package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Server is a Redis server a test may use. Its address is always a loopback address.
type Server struct {
	// Addr is "127.0.0.1:port" (for EnvURL, the loopback host:port the URL names).
	Addr string
	// URL is a redis:// URL for Addr, database 0 ("redis://127.0.0.1:port/0"); for EnvURL, that URL.
	URL string
	// Source says where the server came from: "env", "container" or "process".
	Source string
}

// Sources of a Server.
const (
	SourceEnv       = "env"
	SourceContainer = "container"
	SourceProcess   = "process"
)

// Standalone returns a Redis server for the test: the one named by EnvURL if set; else a container (image
// EnvImage, default DefaultImage) when a Docker engine answers; else a redis-server process on a free
// loopback port; else it skips the test naming those three ways (fails instead when EnvRequire is true).
// A container that fails to start falls back to a process; the test log says which source was used.
//
// Under Main every test of the binary gets the same server, so tests must isolate their keys (Namespace)
// and must never flush; without Main the server is the test's own and is stopped in t.Cleanup. An EnvURL
// that is not a loopback address or does not answer PING fails the test.
func Standalone(t testing.TB) *Server {
	t.Helper()
	if raw := os.Getenv(EnvURL); raw != "" {
		s, err := envServer(raw)
		if err != nil {
			t.Fatalf("redistest: %s: %v", EnvURL, err)
		}
		cp := *s
		return &cp
	}
	s, err := obtain(t, "standalone", startStandalone)
	if err != nil {
		fail(t, "Standalone", waysStandalone, err)
	}
	cp := *s // a test that edits its Server must not affect the others
	return &cp
}

// startStandalone starts a container, or a process when containers are unavailable or fail.
func startStandalone(logf func(string, ...any)) (*Server, func(), error) {
	var absent []string // ways that do not exist here
	var containerErr error
	if image, err := containerImage(); err != nil {
		absent = append(absent, err.Error())
	} else {
		began := time.Now()
		c, err := startContainer(image, 0)
		if err == nil {
			logf("redistest: Redis from container %s at %s (up in %v)", image, c.addr, time.Since(began).Round(time.Millisecond))
			return &Server{Addr: c.addr, URL: redisURL(c.addr), Source: SourceContainer}, track(c.terminate), nil
		}
		logf("redistest: container failed, trying a redis-server process: %v", err)
		containerErr = err
	}

	began := time.Now()
	p, dir, err := startPlainProc()
	var un *unavailableError
	switch {
	case err != nil && containerErr != nil:
		// Docker was there and failed: a failure, not an absence (%v keeps it from reading as a skip).
		return nil, nil, fmt.Errorf("%v; and %v", containerErr, err)
	case errors.As(err, &un):
		return nil, nil, notAvailable(append(absent, un.reasons...)...)
	case err != nil:
		return nil, nil, err
	}
	logf("redistest: Redis from redis-server process at %s (up in %v)", p.addr(), time.Since(began).Round(time.Millisecond))
	stop := track(func() {
		p.kill()
		os.RemoveAll(dir)
	})
	return &Server{Addr: p.addr(), URL: redisURL(p.addr()), Source: SourceProcess}, stop, nil
}

// startPlainProc starts a standalone redis-server process in a fresh temporary directory.
func startPlainProc() (*proc, string, error) {
	bin, err := redisServer()
	if err != nil {
		return nil, "", err
	}
	dir, err := os.MkdirTemp("", "redistest-")
	if err != nil {
		return nil, "", err
	}
	p, err := startProc("redis-server", bin, freePort, func(port int) []string { return baseArgs(port, dir) })
	if err != nil {
		os.RemoveAll(dir)
		return nil, "", err
	}
	return p, dir, nil
}

// redisURL is the redis:// URL of database 0 at addr.
func redisURL(addr string) string { return "redis://" + addr + "/0" }

// envCheck remembers, once per binary, whether the EnvURL server is usable.
var envCheck struct {
	once sync.Once
	srv  *Server
	err  error
}

// envServer checks the EnvURL server once: a loopback address that answers PING.
func envServer(raw string) (*Server, error) {
	envCheck.once.Do(func() {
		envCheck.srv, envCheck.err = checkEnvServer(raw)
	})
	return envCheck.srv, envCheck.err
}

func checkEnvServer(raw string) (*Server, error) {
	opt, err := redis.ParseURL(raw)
	if err != nil {
		return nil, fmt.Errorf("not a redis:// URL: %w", err)
	}
	host, _, err := net.SplitHostPort(opt.Addr)
	if err != nil {
		return nil, fmt.Errorf("address %q: %w", opt.Addr, err)
	}
	if !isLoopback(host) {
		return nil, fmt.Errorf("host %q is not a loopback address; tests connect to loopback addresses only", host)
	}
	opt.MaxRetries, opt.DialerRetries = -1, 1
	c := redis.NewClient(opt)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		return nil, fmt.Errorf("server at %s does not answer: %w", opt.Addr, err)
	}
	return &Server{Addr: opt.Addr, URL: raw, Source: SourceEnv}, nil
}

// isLoopback reports whether host is "localhost" or a loopback IP.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Namespace returns a fresh random namespace for one test, "t" followed by 16 hex digits, so tests on a
// shared server never see each other's keys. It is a valid keyspace segment.
func Namespace(t testing.TB) string {
	t.Helper()
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("redistest: random namespace: %v", err)
	}
	return "t" + hex.EncodeToString(b[:])
}
