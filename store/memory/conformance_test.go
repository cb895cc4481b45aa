package memory_test

import (
	"context"
	"testing"

	"github.com/cachekit/cachekit/conformance"
	"github.com/cachekit/cachekit/store"
	"github.com/cachekit/cachekit/store/memory"
)

// harness opens a fresh, private memory store per call.
type harness struct{}

func (harness) Open(_ context.Context, t *testing.T) store.Store {
	// 64 MiB holds the suite's largest rule (1 MiB values, 2000 small keys) with room to spare, so
	// admission never needs to refuse for lack of budget.
	s, err := memory.New(memory.Options{MaxBytes: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	return s // conformance.Run closes it
}

// Caps: each Open is a separate in-process cache (not Shared); ristretto may refuse a write when its
// buffers are full, which the store reports as ErrNotStored (MayRejectSets); expiry is checked on every
// read, so the default TTLResolution is ample.
func (harness) Caps() conformance.Caps { return conformance.Caps{MayRejectSets: true} }

// bare hides the Store's optional interfaces (Viewer, DecodedCache, Pinger), as a wrapper that does
// not forward them would.
type bare struct{ store.Store }

// bareHarness opens memory stores behind bare, so that the optional-interface rules check the
// fallbacks of package store (store.View, store.GetDecoded, store.Ping) on a full in-process store.
type bareHarness struct{ harness }

func (h bareHarness) Open(ctx context.Context, t *testing.T) store.Store {
	return bare{h.harness.Open(ctx, t)}
}

func TestConformance(t *testing.T) {
	conformance.Run(t, func(*testing.T) conformance.Harness { return harness{} })
	t.Run("optional interfaces hidden", func(t *testing.T) {
		conformance.Run(t, func(*testing.T) conformance.Harness { return bareHarness{} })
	})
}
