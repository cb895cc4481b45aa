package redis

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachekit/cachekit/internal/redistest"
	"github.com/cachekit/cachekit/store"
)

// serverPolicy reads maxmemory-policy with an admin connection.
func serverPolicy(t *testing.T, admin *goredis.Client) string {
	t.Helper()
	m, err := admin.ConfigGet(context.Background(), "maxmemory-policy").Result()
	if err != nil {
		t.Fatal(err)
	}
	return m["maxmemory-policy"]
}

func TestEvictionPolicyApplied(t *testing.T) {
	srv := redistest.Dedicated(t) // its own server: the test changes server configuration
	admin := goredis.NewClient(&goredis.Options{Addr: srv.Addr})
	defer admin.Close()
	ctx := context.Background()

	s := openT(t, srv.URL+"?eviction_policy=allkeys-lru")
	if p := serverPolicy(t, admin); p != "allkeys-lru" {
		t.Fatalf("after opening with eviction_policy=allkeys-lru the server's policy is %q", p)
	}
	st, err := s.Stats(ctx)
	if err != nil || st.EvictionPolicy != "allkeys-lru" || st.PolicyNote != "" {
		t.Errorf("Stats policy %q note %q err %v; want allkeys-lru, no note", st.EvictionPolicy, st.PolicyNote, err)
	}
	if err := s.EnsureEvictionPolicy(ctx, "volatile-ttl"); err != nil {
		t.Fatalf("EnsureEvictionPolicy(volatile-ttl): %v", err)
	}
	if p := serverPolicy(t, admin); p != "volatile-ttl" {
		t.Errorf("server policy %q after EnsureEvictionPolicy(volatile-ttl)", p)
	}
	if st, _ := s.Stats(ctx); st.EvictionPolicy != "volatile-ttl" {
		t.Errorf("Stats right after a policy change still reports %q", st.EvictionPolicy)
	}
}

// An ACL user without +config is what a managed Redis looks like: the policy is refused, reported, and
// the store keeps working.
func TestEvictionPolicyRefused(t *testing.T) {
	srv := redistest.Dedicated(t)
	admin := goredis.NewClient(&goredis.Options{Addr: srv.Addr})
	defer admin.Close()
	ctx := context.Background()
	const pw = "Limited-Pw-77"
	if err := admin.Do(ctx, "acl", "setuser", "limited", "on", ">"+pw, "~*", "+@all", "-config").Err(); err != nil {
		t.Fatal(err)
	}
	before := serverPolicy(t, admin)

	s := openT(t, "redis://limited:"+pw+"@"+srv.Addr+"/0?eviction_policy=allkeys-lfu")
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(st.PolicyNote, "allkeys-lfu") || strings.Contains(st.PolicyNote, pw) {
		t.Errorf("PolicyNote = %q, want the refused policy named and no password", st.PolicyNote)
	}
	if st.EvictionPolicy != before {
		t.Errorf("Stats.EvictionPolicy = %q, want the policy in force, %q", st.EvictionPolicy, before)
	}

	err = s.EnsureEvictionPolicy(ctx, "allkeys-lru")
	var refused *PolicyRefusedError
	if !errors.Is(err, ErrPolicyRefused) || !errors.As(err, &refused) {
		t.Fatalf("EnsureEvictionPolicy as a user without +config: %v, want ErrPolicyRefused", err)
	}
	if refused.Addr != srv.Addr || refused.Policy != "allkeys-lru" || refused.Err == nil {
		t.Errorf("PolicyRefusedError = %+v", refused)
	}
	if p := serverPolicy(t, admin); p != before {
		t.Errorf("server policy changed to %q despite the refusal", p)
	}
	if err := s.Set(ctx, "pol:v1:k", []byte("v"), time.Hour); err != nil {
		t.Errorf("Set after a refused policy: %v", err)
	}
	if v, err := s.Get(ctx, "pol:v1:k"); err != nil || string(v) != "v" {
		t.Errorf("Get after a refused policy = %q, %v", v, err)
	}
}

// Opening with eviction_policy while Redis is down does not fail the open; the note says why.
func TestEvictionPolicyUnreachableAtOpen(t *testing.T) {
	srv := redistest.Dedicated(t)
	srv.Stop(t)
	s := openT(t, srv.URL+"?eviction_policy=allkeys-lru&dial_timeout=200ms")
	st, err := s.Stats(context.Background())
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Stats with Redis down: %v, want ErrUnavailable", err)
	}
	if !strings.Contains(st.PolicyNote, "not applied") || st.Keys != -1 || st.UsedBytes != -1 {
		t.Errorf("Stats with Redis down: note %q keys %d used %d", st.PolicyNote, st.Keys, st.UsedBytes)
	}
}

// Under noeviction a full Redis refuses writes (OOM): that is ErrNotStored, not an outage.
func TestOOMIsNotStored(t *testing.T) {
	srv := redistest.Dedicated(t)
	s := openT(t, srv.URL)
	ctx := context.Background()
	used, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	limit := used.UsedBytes + 256<<10
	if err := s.Client().ConfigSet(ctx, "maxmemory", itoa(limit)).Err(); err != nil {
		t.Fatal(err)
	}
	if err := s.EnsureEvictionPolicy(ctx, "noeviction"); err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 64<<10)
	var setErr error
	for i := 0; i < 64 && setErr == nil; i++ {
		setErr = s.Set(ctx, "oom:v1:k"+itoa(int64(i)), big, time.Hour)
	}
	if !errors.Is(setErr, store.ErrNotStored) || errors.Is(setErr, store.ErrUnavailable) {
		t.Errorf("Set beyond maxmemory under noeviction: %v, want ErrNotStored", setErr)
	}
	if st, err := s.Stats(ctx); err != nil || st.MaxBytes != limit || st.EvictionPolicy != "noeviction" {
		t.Errorf("Stats MaxBytes %d policy %q (%v), want %d noeviction", st.MaxBytes, st.EvictionPolicy, err, limit)
	}
}
