package cachekit

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachekit/cachekit/internal/redistest"
	"github.com/cachekit/cachekit/store"
)

func TestWithTrackPrefix(t *testing.T) {
	for in, want := range map[string]string{
		"tiered://?l1=a&l2=b":                      "tiered://?l1=a&l2=b&track_prefix=qrl%3Av1%3A",
		"TIERED://?l1=a&l2=b#f":                    "TIERED://?l1=a&l2=b&track_prefix=qrl%3Av1%3A#f",
		"tiered://":                                "tiered://?track_prefix=qrl%3Av1%3A",
		"tiered://?":                               "tiered://?track_prefix=qrl%3Av1%3A",
		"tiered://?l1=a&track_prefix=qrl:&l2=b":    "tiered://?l1=a&track_prefix=qrl:&l2=b", // the URL's own wins
		"tiered://?l1=a&track_prefix=qrl%3Av&l2=b": "tiered://?l1=a&track_prefix=qrl%3Av&l2=b",
		"tiered://?l1=a&track_prefix=&l2=b":        "tiered://?l1=a&track_prefix=&l2=b", // "" (every key) too
		"redis://127.0.0.1:6379/0":                 "redis://127.0.0.1:6379/0",
		"memory://?max_bytes=1MiB":                 "memory://?max_bytes=1MiB",
		"redis://h/0?client_name=tiered%3A%2F":     "redis://h/0?client_name=tiered%3A%2F",
	} {
		if got, err := withTrackPrefix(in, "qrl:v1:"); err != nil || got != want {
			t.Errorf("withTrackPrefix(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// An explicit track_prefix that does not cover the keyspace would leave every L1 copy unreported: Open
// refuses it, naming the option and the prefix the keys start with, and opens nothing.
func TestOpenRefusesATrackPrefixOutsideTheKeyspace(t *testing.T) {
	for _, tp := range []string{"x:", "qrl:v2:", "qrl:v1:ticker:"} {
		u := "tiered://?l1=" + url.QueryEscape("memory://") + "&l2=" + url.QueryEscape("memory://") +
			"&namespace=qrl&track_prefix=" + url.QueryEscape(tp)
		c, err := Open(t.Context(), u)
		if err == nil {
			_ = c.Close()
			t.Fatalf("Open with track_prefix=%s: no error; want one", tp)
		}
		msg := err.Error()
		if !errors.Is(err, store.ErrInvalidURL) || !strings.Contains(msg, "track_prefix=\""+tp+"\"") ||
			!strings.Contains(msg, `start with "qrl:v1:"`) {
			t.Errorf("Open with track_prefix=%s: %v; want ErrInvalidURL naming the option and qrl:v1:", tp, err)
		}
	}
}

// TestOpenTieredTracksItsKeyspace: Open gives a tiered URL without track_prefix the Cache's keyspace
// prefix, so an external write outside it is not reported: a copy of such a key stays in L1, while the
// report of a write inside it arrives.
func TestOpenTieredTracksItsKeyspace(t *testing.T) {
	srv := redistest.Standalone(t)
	ns := "tp" + redistest.Namespace(t)[1:8]
	u := "tiered://?l1=" + url.QueryEscape("memory://") + "&l2=" + url.QueryEscape(srv.URL) + "&l1_ttl=1m&namespace=" + ns
	c, err := Open(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	st := c.Store()
	if r, ok := st.(interface {
		Ready(ctx context.Context) error
	}); ok {
		if err := r.Ready(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	ext := goredis.NewClient(&goredis.Options{Addr: srv.Addr})
	defer ext.Close()
	ctx := t.Context()
	outside, inside := "elsewhere:"+ns, ns+":v1:barrier"
	defer ext.Del(ctx, outside, inside)
	if err := st.Set(ctx, outside, []byte("v1"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := ext.Set(ctx, outside, "v2", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	stats := func() store.Stats {
		s, err := st.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	received := stats().Extra["invalidations_received"]
	// The barrier: reports arrive in order, so once the inside write's report is in, a report of the
	// outside write would have been applied before it.
	if err := ext.Set(ctx, inside, "x", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	for began := time.Now(); stats().Extra["invalidations_received"] == received; time.Sleep(time.Millisecond) {
		if time.Since(began) > 5*time.Second {
			t.Fatal("the report of a write inside the keyspace did not arrive within 5s")
		}
	}
	if v, err := st.Get(ctx, outside); err != nil || string(v) != "v1" {
		t.Errorf("Get(%q) = %q, %v; want L1's %q (a key outside track_prefix=%s:v1: is not reported)", outside, v, err, "v1", ns)
	}
}
