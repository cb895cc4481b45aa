package memory_test

import (
	"testing"
	"time"

	"github.com/cachekit/cachekit/store/memory"
)

// Stats reports exact counts: hits and misses of Get and GetMany, live keys and their key+value bytes
// (expired entries excluded), the budget, and the fixed fields.
func TestStatsFields(t *testing.T) {
	s := newStore(t, memory.Options{MaxBytes: 1 << 20})
	ctx := t.Context()
	mustSet(t, s, "k1", []byte("12345"))        // 2 + 5
	mustSet(t, s, "key2", []byte("1234567890")) // 4 + 10
	if err := s.Set(ctx, "gone", []byte("x"), 20*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	time.Sleep(40 * time.Millisecond)

	mustGet(t, s, "k1", []byte("12345"))                                                       // hit
	mustMiss(t, s, "nope")                                                                     // miss
	mustMiss(t, s, "gone")                                                                     // miss (expired)
	if m, err := s.GetMany(ctx, []string{"k1", "key2", "x", "y"}); err != nil || len(m) != 2 { // 2 hits, 2 misses
		t.Fatalf("GetMany = %q, %v", m, err)
	}
	if _, err := s.TTL(ctx, "k1"); err != nil { // neither
		t.Fatal(err)
	}

	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]int64{
		"Hits":         {st.Hits, 3},
		"Misses":       {st.Misses, 4},
		"Keys":         {st.Keys, 2},
		"UsedBytes":    {st.UsedBytes, 21},
		"MaxBytes":     {st.MaxBytes, 1 << 20},
		"PeakBytes":    {st.PeakBytes, -1},
		"Evictions":    {st.Evictions, 0},
		"RejectedSets": {st.RejectedSets, 0},
	}
	for name, gw := range want {
		if gw[0] != gw[1] {
			t.Errorf("Stats.%s = %d; want %d", name, gw[0], gw[1])
		}
	}
	if st.Backend != "memory" || st.EvictionPolicy != "tinylfu" {
		t.Errorf("Backend %q, EvictionPolicy %q; want memory, tinylfu", st.Backend, st.EvictionPolicy)
	}
	for _, name := range []string{"evicted_while_pending", "expired_removed"} {
		if _, ok := st.Extra[name]; !ok {
			t.Errorf("Stats.Extra lacks %q", name)
		}
	}
}
