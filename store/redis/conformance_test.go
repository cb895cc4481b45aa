package redis

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cachekit/cachekit/conformance"
	"github.com/cachekit/cachekit/internal/redistest"
	"github.com/cachekit/cachekit/store"
)

// harness opens Stores by URL on one server (or cluster); every Store sees the others' writes. Its
// clients carry a name of their own (client_name), so BreakSubscriptions can drop exactly their pub/sub
// connections on servers that other tests share.
type harness struct {
	url   string
	name  string   // the go-redis ClientName of every connection the harness's Stores open
	addrs []string // every master, where a subscription's connection may be
}

// newHarness returns a harness for the server or cluster at rawURL (masters addrs), with extra query
// options and a fresh client name.
func newHarness(t *testing.T, rawURL string, addrs []string, extra ...string) harness {
	name := "cachekit-conformance-" + redistest.Namespace(t)
	u := withQuery(rawURL, "client_name="+name)
	for _, opt := range extra {
		u = withQuery(u, opt)
	}
	return harness{url: u, name: name, addrs: addrs}
}

// BreakSubscriptions drops the pub/sub connections of the harness's clients (conformance's
// SubscriptionBreaker), as CLIENT KILL does in TestPubSubResyncAfterClientKill.
func (h harness) BreakSubscriptions(_ context.Context, t testing.TB, _ store.Store) {
	if n := redistest.KillPubSub(t, h.name, h.addrs...); n == 0 {
		t.Fatalf("no pub/sub connection named %s to drop on %v", h.name, h.addrs)
	}
}

func (h harness) Open(ctx context.Context, t *testing.T) store.Store {
	t.Helper()
	s, err := store.Open(ctx, h.url)
	if err != nil {
		t.Fatalf("store.Open(%s): %v", store.Redact(h.url), err)
	}
	return s
}

// Caps: Redis expires on access with millisecond precision; the resolution only has to absorb the
// latency of the Set and of the last Get (a cluster client's first command also loads the slot map),
// which the race detector on a busy machine stretches to tens of milliseconds.
func (h harness) Caps() conformance.Caps {
	return conformance.Caps{Shared: true, TTLResolution: 500 * time.Millisecond}
}

func TestConformance(t *testing.T) {
	t.Run("standalone", func(t *testing.T) {
		srv := redistest.Standalone(t)
		conformance.Run(t, func(t *testing.T) conformance.Harness { return newHarness(t, srv.URL, []string{srv.Addr}) })
	})
	t.Run("cluster", func(t *testing.T) {
		cs := redistest.Cluster(t, 3)
		conformance.Run(t, func(t *testing.T) conformance.Harness { return newHarness(t, cs.URL, cs.Addrs) })
	})
	// Options.AutoPipeline routes the single-key calls through go-redis' auto-pipeliner: same rules.
	t.Run("standalone auto_pipeline", func(t *testing.T) {
		srv := redistest.Standalone(t)
		conformance.Run(t, func(t *testing.T) conformance.Harness {
			return newHarness(t, srv.URL, []string{srv.Addr}, "auto_pipeline=true")
		})
	})
	t.Run("cluster auto_pipeline", func(t *testing.T) {
		cs := redistest.Cluster(t, 3)
		conformance.Run(t, func(t *testing.T) conformance.Harness { return newHarness(t, cs.URL, cs.Addrs, "auto_pipeline=true") })
	})
}

// withQuery appends one query option to a URL that may already have a query.
func withQuery(rawURL, opt string) string {
	if strings.Contains(rawURL, "?") {
		return rawURL + "&" + opt
	}
	return rawURL + "?" + opt
}
