package redis

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachekit/cachekit/internal/redistest"
)

// recorder is a slog.Handler that keeps every record it is given, as text, for assertions.
type recorder struct {
	mu      sync.Mutex
	records []logged
}

// logged is one record: its level, message and attributes (key=value).
type logged struct {
	level slog.Level
	msg   string
	attrs map[string]string
}

func (l logged) String() string { return fmt.Sprintf("%v %q %v", l.level, l.msg, l.attrs) }

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }

func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	l := logged{level: rec.Level, msg: rec.Message, attrs: map[string]string{}}
	rec.Attrs(func(a slog.Attr) bool {
		l.attrs[a.Key] = a.Value.String()
		return true
	})
	r.mu.Lock()
	r.records = append(r.records, l)
	r.mu.Unlock()
	return nil
}

func (r *recorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *recorder) WithGroup(string) slog.Handler      { return r }

// all returns the records so far.
func (r *recorder) all() []logged {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]logged(nil), r.records...)
}

// matching returns the records whose message contains substr.
func (r *recorder) matching(substr string) []logged {
	var out []logged
	for _, l := range r.all() {
		if strings.Contains(l.msg, substr) {
			out = append(out, l)
		}
	}
	return out
}

// TestSetLoggerWarnsRefusedPolicyOnce: an ACL user without +config opens with eviction_policy, so the
// refusal happens at open, before any logger exists. SetLogger then logs it once at Warn, naming the
// policy and never the password; a second SetLogger does not repeat it; a later refusal is logged when
// it happens.
func TestSetLoggerWarnsRefusedPolicyOnce(t *testing.T) {
	srv := redistest.Dedicated(t)
	admin := goredis.NewClient(&goredis.Options{Addr: srv.Addr})
	defer admin.Close()
	ctx := context.Background()
	const pw = "Logged-Pw-91"
	if err := admin.Do(ctx, "acl", "setuser", "limited", "on", ">"+pw, "~*", "+@all", "-config").Err(); err != nil {
		t.Fatal(err)
	}
	s := openT(t, "redis://limited:"+pw+"@"+srv.Addr+"/0?eviction_policy=allkeys-lfu")
	defer SetLogger(nil)

	rec := &recorder{}
	s.SetLogger(slog.New(rec))
	got := rec.matching("maxmemory-policy")
	if len(got) != 1 {
		t.Fatalf("after SetLogger on a store whose policy was refused at open: %d policy records %v, want 1", len(got), rec.all())
	}
	w := got[0]
	if w.level != slog.LevelWarn || w.attrs["policy"] != "allkeys-lfu" || !strings.Contains(w.attrs["note"], "refused") ||
		!strings.Contains(w.attrs["store"], srv.Addr) {
		t.Errorf("policy record = %v; want Warn with policy=allkeys-lfu, the refusal in note and the store's address", w)
	}
	for _, l := range rec.all() {
		if strings.Contains(l.String(), pw) {
			t.Errorf("a record contains the password: %v", l)
		}
	}

	s.SetLogger(slog.New(rec))
	if n := len(rec.matching("maxmemory-policy")); n != 1 {
		t.Errorf("a second SetLogger logged the same refusal again: %d policy records", n)
	}

	if err := s.EnsureEvictionPolicy(ctx, "volatile-lru"); err == nil {
		t.Fatal("EnsureEvictionPolicy as a user without +config succeeded")
	}
	got = rec.matching("maxmemory-policy")
	if len(got) != 2 || got[1].attrs["policy"] != "volatile-lru" || got[1].level != slog.LevelWarn {
		t.Errorf("after a refusal with the logger set: policy records %v, want a second Warn naming volatile-lru", got)
	}

	s.SetLogger(nil)
	_ = s.EnsureEvictionPolicy(ctx, "allkeys-lru")
	if n := len(rec.matching("maxmemory-policy")); n != 2 {
		t.Errorf("after SetLogger(nil) the refusal was still logged: %d policy records", n)
	}
}

// TestStoreSetLoggerRoutesGoRedis: go-redis' own messages (a refused dial) reach the logger of the
// Store that called SetLogger last, as Warn records with component=go-redis; with the route cleared they
// reach nobody (logger_linux_test.go proves that nothing reaches stderr either).
func TestStoreSetLoggerRoutesGoRedis(t *testing.T) {
	srv := redistest.Dedicated(t)
	srv.Stop(t) // a loopback address that refuses connections
	// Breakers off: with them on, go-redis' pool never logs "failed to dial" (see logger_linux_test.go).
	url := srv.URL + "?dial_timeout=200ms&breaker_failures=0"
	s1, s2 := openT(t, url), openT(t, url)
	ctx := context.Background()
	defer SetLogger(nil)

	first, last := &recorder{}, &recorder{}
	s1.SetLogger(slog.New(first))
	s2.SetLogger(slog.New(last))
	_, _ = s1.Get(ctx, "logs:v1:k") // s1's own client: the route is process-wide, the last logger wins

	dials := last.matching("failed to dial")
	if len(dials) == 0 {
		t.Fatalf("the last SetLogger's logger got no go-redis record about the refused dial; got %v", last.all())
	}
	if d := dials[0]; d.level != slog.LevelWarn || d.attrs["component"] != "go-redis" || strings.HasPrefix(d.msg, "redis: redis:") {
		t.Errorf("go-redis record = %v; want Warn with component=go-redis and no doubled prefix", d)
	}
	if n := len(first.matching("failed to dial")); n != 0 {
		t.Errorf("the earlier logger still got %d go-redis records; the last SetLogger must win", n)
	}

	SetLogger(nil)
	before := len(last.all())
	_, _ = s1.Get(ctx, "logs:v1:k")
	if n := len(last.all()); n != before {
		t.Errorf("after SetLogger(nil) go-redis still logged %d records: %v", n-before, last.all()[before:])
	}
}
