package redis

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachekit/cachekit/internal/redistest"
	"github.com/cachekit/cachekit/store"
)

const deniedPassword = "s3cret-Pa55"

// securedServer starts a server of the test's own that requires deniedPassword, with an ACL user
// "reader" (password "readerpw") allowed PING and everything else but GET and SET.
func securedServer(t *testing.T) *redistest.Controlled {
	t.Helper()
	srv := redistest.Dedicated(t)
	srv.Do(t, "ACL", "SETUSER", "reader", "on", ">readerpw", "~*", "&*", "+@all", "-get", "-set")
	srv.RequirePass(t, deniedPassword)
	return srv
}

// wantDenied checks that err is an *store.OpError wrapping store.ErrDenied (and not ErrUnavailable), whose
// message names addr and never shows a password.
func wantDenied(t *testing.T, what string, err error, addr string) {
	t.Helper()
	var op *store.OpError
	var de *DeniedError
	switch {
	case err == nil:
		t.Errorf("%s: no error, want one wrapping store.ErrDenied", what)
		return
	case !errors.Is(err, store.ErrDenied) || !errors.As(err, &op) || !errors.As(err, &de):
		t.Errorf("%s: %v (%T), want an *store.OpError around a *DeniedError wrapping store.ErrDenied", what, err, err)
		return
	case errors.Is(err, store.ErrUnavailable):
		t.Errorf("%s: %v also matches ErrUnavailable; a refusal is not an outage", what, err)
	}
	msg := err.Error()
	if !strings.Contains(msg, addr) {
		t.Errorf("%s: %q does not name the address %s", what, msg, addr)
	}
	for _, pw := range []string{deniedPassword, "wrong-" + deniedPassword, "readerpw"} {
		if strings.Contains(msg, pw) {
			t.Errorf("%s: %q shows a password", what, msg)
		}
	}
	if strings.Contains(msg, "redis: redis:") {
		t.Errorf("%s: %q has a doubled prefix", what, msg)
	}
}

// TestAuthFailuresAreErrDenied: a wrong password (WRONGPASS, on connecting) and no password (NOAUTH)
// fail every call, Ping included, with ErrDenied naming the address, not with ErrUnavailable; the right
// password works.
func TestAuthFailuresAreErrDenied(t *testing.T) {
	srv := securedServer(t)
	ctx := context.Background()
	for name, rawURL := range map[string]string{
		"WRONGPASS": "redis://:wrong-" + deniedPassword + "@" + srv.Addr + "/0",
		"NOAUTH":    "redis://" + srv.Addr + "/0",
	} {
		t.Run(name, func(t *testing.T) {
			s := openT(t, rawURL)
			for _, c := range everyCall(s, "denied:v1:k") {
				wantDenied(t, c.name, c.call(ctx), srv.Addr)
			}
		})
	}
	t.Run("right password", func(t *testing.T) {
		s := openT(t, "redis://:"+deniedPassword+"@"+srv.Addr+"/0")
		if err := s.Ping(ctx); err != nil {
			t.Fatalf("Ping with the right password: %v", err)
		}
		if err := s.Set(ctx, "denied:v1:k", []byte("v"), time.Minute); err != nil {
			t.Fatalf("Set with the right password: %v", err)
		}
	})
}

// TestACLDenialIsErrDenied: an ACL user without GET and SET may connect and PING, but Get and Set fail
// with ErrDenied (NOPERM) naming the address.
func TestACLDenialIsErrDenied(t *testing.T) {
	srv := securedServer(t)
	ctx := context.Background()
	s := openT(t, "redis://reader:readerpw@"+srv.Addr+"/0")
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping as a user allowed to PING: %v", err)
	}
	_, err := s.Get(ctx, "denied:v1:k")
	wantDenied(t, "Get as a user without +get", err, srv.Addr)
	if err != nil && !strings.Contains(err.Error(), "NOPERM") {
		t.Errorf("Get: %q does not carry Redis's NOPERM reply", err)
	}
	wantDenied(t, "Set as a user without +set", s.Set(ctx, "denied:v1:k", []byte("v"), time.Minute), srv.Addr)
	if n, err := s.Delete(ctx, "denied:v1:k"); err != nil || n != 0 {
		t.Errorf("Delete as a user allowed to UNLINK = %d, %v; want 0, nil", n, err)
	}
}

// TestPingFailsOnStoppedServer: Ping of a stopped server fails with ErrUnavailable naming the address,
// within the configured timeouts (plus a loose margin), and works again after a restart.
func TestPingFailsOnStoppedServer(t *testing.T) {
	srv := redistest.Dedicated(t)
	s := openT(t, srv.URL+"?dial_timeout=200ms&read_timeout=200ms&write_timeout=200ms")
	ctx := context.Background()
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping of a running server: %v", err)
	}
	srv.Stop(t)
	began := time.Now()
	err := s.Ping(ctx)
	took := time.Since(began)
	if !errors.Is(err, store.ErrUnavailable) || !strings.Contains(err.Error(), srv.Addr) {
		t.Fatalf("Ping of a stopped server: %v, want ErrUnavailable naming %s", err, srv.Addr)
	}
	if bound := 2*(200*time.Millisecond+defaultMaxRetryBackoff) + time.Second; took > bound {
		t.Errorf("Ping of a stopped server took %v, want within (1+max_retries) dial timeouts + margin = %v", took, bound)
	}
	srv.Start(t)
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping after the restart: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Ping(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Ping with a cancelled context: %v, want context.Canceled", err)
	}
}

// pingRecorder is a go-redis hook that records which node clients sent PING.
type pingRecorder struct {
	mu    sync.Mutex
	addrs map[string]int
}

func (r *pingRecorder) hookFor(node *goredis.Client) goredis.Hook {
	addr := node.Options().Addr
	return hookFunc(func(ctx context.Context, cmd goredis.Cmder) {
		if cmd.Name() == "ping" {
			r.mu.Lock()
			r.addrs[addr]++
			r.mu.Unlock()
		}
	})
}

// hookFunc is a go-redis hook calling f before each single command.
type hookFunc func(ctx context.Context, cmd goredis.Cmder)

func (f hookFunc) DialHook(next goredis.DialHook) goredis.DialHook { return next }
func (f hookFunc) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		f(ctx, cmd)
		return next(ctx, cmd)
	}
}
func (f hookFunc) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return next
}

// TestPingClusterEveryMaster: on a Cluster, Ping sends PING to every master.
func TestPingClusterEveryMaster(t *testing.T) {
	cs := redistest.Cluster(t, 3)
	client := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: cs.Addrs})
	rec := &pingRecorder{addrs: map[string]int{}}
	client.OnNewNode(func(node *goredis.Client) { node.AddHook(rec.hookFor(node)) })
	s, err := New(client, Options{CloseClient: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Ping(context.Background()); err != nil {
		t.Fatalf("Ping of a healthy cluster: %v", err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.addrs) != 3 {
		t.Errorf("PING reached %v, want each of the 3 masters", rec.addrs)
	}
}
