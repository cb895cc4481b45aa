package cachekit_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/cachekit/cachekit/cachetest"
	"github.com/cachekit/cachekit/internal/redistest"
	"github.com/cachekit/cachekit/store"
)

// The portable layer's rules hold over every backend: memory, Redis standalone and Cluster,
// tiered(memory, memory), tiered(memory, redis), and a store without optional interfaces.
func TestPortableLayer(t *testing.T) {
	openURL := func(t *testing.T, raw string) store.Store {
		s, err := store.Open(context.Background(), raw)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	backends := map[string]func(t *testing.T) store.Store{
		"memory":         newStore,
		"plain":          func(t *testing.T) store.Store { return plainStore{newStore(t)} },
		"tiered(memory)": newTieredStore,
		"redis":          func(t *testing.T) store.Store { return openURL(t, redistest.Standalone(t).URL) },
		"cluster":        func(t *testing.T) store.Store { return openURL(t, redistest.Cluster(t, 3).URL) },
		"tiered(redis)": func(t *testing.T) store.Store {
			return openURL(t, "tiered://?l1="+url.QueryEscape("memory://")+"&l2="+url.QueryEscape(redistest.Standalone(t).URL))
		},
	}
	for name, open := range backends {
		t.Run(name, func(t *testing.T) { cachetest.Run(t, open) })
	}
}
