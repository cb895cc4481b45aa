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

// harness opens Stores by URL on one server (or cluster); every Store sees the others' writes.
type harness struct{ url string }

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
		conformance.Run(t, func(t *testing.T) conformance.Harness { return harness{url: srv.URL} })
	})
	t.Run("cluster", func(t *testing.T) {
		cs := redistest.Cluster(t, 3)
		conformance.Run(t, func(t *testing.T) conformance.Harness { return harness{url: cs.URL} })
	})
	// Options.AutoPipeline routes the single-key calls through go-redis' auto-pipeliner: same rules.
	t.Run("standalone auto_pipeline", func(t *testing.T) {
		srv := redistest.Standalone(t)
		conformance.Run(t, func(t *testing.T) conformance.Harness { return harness{url: withQuery(srv.URL, "auto_pipeline=true")} })
	})
	t.Run("cluster auto_pipeline", func(t *testing.T) {
		cs := redistest.Cluster(t, 3)
		conformance.Run(t, func(t *testing.T) conformance.Harness { return harness{url: withQuery(cs.URL, "auto_pipeline=true")} })
	})
}

// withQuery appends one query option to a URL that may already have a query.
func withQuery(rawURL, opt string) string {
	if strings.Contains(rawURL, "?") {
		return rawURL + "&" + opt
	}
	return rawURL + "?" + opt
}
