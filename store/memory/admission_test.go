//go:build !race

// The race detector makes sync.Pool drop a quarter of its Puts, and ristretto counts Get frequencies
// in pooled 64-key batches, so under -race TinyLFU almost never learns that a key is hot and this test
// could not make admission refuse anything.

package memory_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cachekit/cachekit/store"
	"github.com/cachekit/cachekit/store/memory"
)

// In a full cache whose entries are all hot, TinyLFU refuses a cold newcomer; Set reports it.
func TestAdmissionRefusalIsNotStored(t *testing.T) {
	s := newStore(t, memory.Options{MaxBytes: 8 << 10, NumCounters: 1000})
	ctx := t.Context()
	v := make([]byte, 1000)
	var hot []string
	for i := range 8 { // 8 x 1005 bytes: a ninth entry does not fit
		k := fmt.Sprintf("hot:%d", i)
		mustSet(t, s, k, v)
		hot = append(hot, k)
	}
	deadline := time.Now().Add(5 * time.Second)
	for i := 0; ; i++ {
		if time.Now().After(deadline) {
			t.Fatal("no Set of a cold key into a full cache of hot keys was refused within 5s")
		}
		for _, k := range hot { // an admitted cold key may have evicted one
			if _, err := s.Get(ctx, k); errors.Is(err, store.ErrNotFound) {
				_ = s.Set(ctx, k, v, hour)
			}
		}
		for range 200 { // make the resident keys hot (ristretto samples Get frequencies in batches)
			for _, k := range hot {
				_, _ = s.Get(ctx, k)
			}
		}
		cold := fmt.Sprintf("cold:%d", i)
		err := s.Set(ctx, cold, v, hour)
		if err == nil {
			continue // admitted (it evicted a hot key, or there was room): try another
		}
		if !errors.Is(err, store.ErrNotStored) {
			t.Fatal(err)
		}
		mustMiss(t, s, cold)
		st, err := s.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.RejectedSets < 1 {
			t.Fatalf("RejectedSets = %d after a refusal", st.RejectedSets)
		}
		return
	}
}
