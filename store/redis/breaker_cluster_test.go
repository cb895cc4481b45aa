package redis

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cachekit/cachekit/internal/redistest"
	"github.com/cachekit/cachekit/store"
)

// TestClusterBreakerPerNode: on a 3-master Cluster, one master held by DEBUG SLEEP opens its own
// breaker (named by its address) while keys on the other masters keep being served; Stats.Breakers
// shows one row per node, only that one open; once the master answers again its breaker closes and its
// keys are served. (DEBUG SLEEP stands in for pausing one node's process, for which redistest has no
// helper: the node accepts connections and answers nothing, exactly as under SIGSTOP.)
func TestClusterBreakerPerNode(t *testing.T) {
	cs := redistest.Cluster(t, 3)
	s := openT(t, cs.URL+"&dial_timeout=100ms&read_timeout=100ms&write_timeout=100ms&breaker_failures=2")
	ctx := context.Background()
	log := watchT(s)
	ns := redistest.Namespace(t)
	keys := keysPerMaster(t, s, ns, cs.Addrs)
	for _, ks := range keys {
		for _, k := range ks {
			if err := s.Set(ctx, k, []byte(k), time.Hour); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Cleanup(func() { _, _ = s.DeletePattern(context.Background(), ns+":*") })

	slept := cs.Addrs[2]
	done := debugSleep(t, slept, 1500*time.Millisecond)
	var err error
	for i := 0; i < 10; i++ {
		if _, err = s.Get(ctx, keys[slept][0]); errors.Is(err, store.ErrCircuitOpen) {
			break
		}
	}
	var open *CircuitOpenError
	if !errors.As(err, &open) || open.Endpoint != slept {
		t.Fatalf("Get on the sleeping master: %v, want ErrCircuitOpen naming %s", err, slept)
	}
	for _, addr := range cs.Addrs {
		if addr == slept {
			continue
		}
		for _, k := range keys[addr] {
			began := time.Now()
			v, err := s.Get(ctx, k)
			if err != nil || string(v) != k {
				t.Errorf("Get %s on master %s while %s is open: %q, %v", k, addr, slept, v, err)
			}
			// A call that touched the sleeping master would wait out its 100 ms read timeout.
			if took := time.Since(began); took >= 100*time.Millisecond {
				t.Errorf("Get on a healthy master took %v while another is open", took)
			}
		}
	}
	began := time.Now()
	for range 5 {
		if _, err := s.Get(ctx, keys[slept][1]); !errors.Is(err, store.ErrCircuitOpen) {
			t.Errorf("Get on the open master: %v, want ErrCircuitOpen", err)
		}
	}
	if took := time.Since(began); took > 250*time.Millisecond { // sent, they would take 5 × 100 ms or more
		t.Errorf("5 calls to the open master took %v, want at once", took)
	}
	// A write spanning nodes, refused on the open one only, applied on the others: its outcome is
	// unknown (ErrUnavailable), never "not applied" (ErrCircuitOpen) — the chaos suite's finding.
	var items []store.Item
	for _, addr := range cs.Addrs {
		items = append(items, store.Item{Key: keys[addr][0], Value: []byte("spanning"), TTL: time.Hour})
	}
	err = s.SetMany(ctx, items)
	if !errors.Is(err, store.ErrUnavailable) || errors.Is(err, store.ErrCircuitOpen) {
		t.Errorf("SetMany across nodes with one open: %v; want ErrUnavailable without ErrCircuitOpen", err)
	}
	if v, err := s.Get(ctx, keys[cs.Addrs[0]][0]); err != nil || string(v) != "spanning" {
		t.Errorf("the healthy node's part of that SetMany: %q, %v; want it applied", v, err)
	}
	if _, err := s.Delete(ctx, keys[cs.Addrs[0]][1], keys[slept][1]); !errors.Is(err, store.ErrUnavailable) || errors.Is(err, store.ErrCircuitOpen) {
		t.Errorf("Delete across nodes with one open: %v; want ErrUnavailable without ErrCircuitOpen", err)
	}
	if err := s.SetMany(ctx, items[2:3]); !errors.Is(err, store.ErrCircuitOpen) {
		t.Errorf("SetMany of the open node's key only: %v; want ErrCircuitOpen (not applied)", err)
	}
	st, err := s.Stats(ctx)
	if !errors.Is(err, store.ErrCircuitOpen) {
		t.Errorf("Stats with one master open: %v, want ErrCircuitOpen", err)
	}
	if len(st.Breakers) != len(cs.Addrs) {
		t.Errorf("Stats.Breakers has %d rows, want one per node (%d): %+v", len(st.Breakers), len(cs.Addrs), st.Breakers)
	}
	for _, addr := range cs.Addrs {
		want := store.BreakerClosed
		if addr == slept {
			want = store.BreakerOpen
		}
		if row := breakerRow(t, st, addr); row.State != want {
			t.Errorf("breaker of %s: %v, want %v", addr, row.State, want)
		}
	}
	<-done
	log.waitFor(t, slept, store.BreakerClosed, 2*time.Second)
	if v, err := s.Get(ctx, keys[slept][0]); err != nil || string(v) != keys[slept][0] {
		t.Errorf("Get on the master after it woke: %q, %v", v, err)
	}
	for _, c := range log.snapshot() {
		if c.Endpoint != slept {
			t.Errorf("breaker of a healthy master changed: %+v", c)
		}
	}
	if got, want := path(log.snapshot(), slept), "closed>open>half-open>closed"; got != want {
		t.Errorf("watcher saw %s for %s, want %s", got, slept, want)
	}
}

// TestClusterRetryRefusedByBreakerIsUnknown: a Cluster write whose first attempt timed out on a master
// that then tripped its breaker is refused on go-redis' cluster retry. Redis runs that first attempt
// when it wakes, so the error must say "unknown" (ErrUnavailable), never "not applied"
// (ErrCircuitOpen) — what the chaos suite found with a Cluster master paused. A write made once the
// breaker is open is refused before it is sent: ErrCircuitOpen, and it is not applied. On both paths:
// plain commands and the auto-pipeliner (whose batches the cluster client retries per node).
func TestClusterRetryRefusedByBreakerIsUnknown(t *testing.T) {
	cs := redistest.Cluster(t, 3)
	for _, mode := range []string{"off", "always"} {
		t.Run(mode, func(t *testing.T) {
			s := openT(t, cs.URL+"&dial_timeout=100ms&read_timeout=100ms&write_timeout=100ms&max_retries=0&call_timeout=2s&breaker_failures=1&pipeline="+mode)
			ctx := context.Background()
			ns := redistest.Namespace(t)
			keys := keysPerMaster(t, s, ns, cs.Addrs)
			slept := cs.Addrs[1]
			late, refused := keys[slept][0], keys[slept][1]
			t.Cleanup(func() { _, _ = s.Delete(context.Background(), late, refused) })
			log := watchT(s)
			// A pooled connection to that master, so the Set below is written before it times out (a
			// connection dialed during the sleep would time out in its handshake, the Set unsent).
			if _, err := s.Get(ctx, late); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("Get before the sleep: %v", err)
			}
			done := debugSleep(t, slept, time.Second)
			err := s.Set(ctx, late, []byte("late"), time.Hour)
			if !errors.Is(err, store.ErrUnavailable) || errors.Is(err, store.ErrCircuitOpen) {
				t.Errorf("Set timed out, then refused on the retry: %v; want ErrUnavailable without ErrCircuitOpen", err)
			}
			// On the auto-pipeliner this Set may instead wait behind the first one's batch, which go-redis
			// may still be retrying, and time out: unknown then, like the first.
			errRefused := s.Set(ctx, refused, []byte("refused"), time.Hour)
			if mode == "off" && !errors.Is(errRefused, store.ErrCircuitOpen) || !errors.Is(errRefused, store.ErrUnavailable) {
				t.Errorf("Set while the breaker is open: %v; want ErrCircuitOpen", errRefused)
			}
			<-done
			log.waitFor(t, slept, store.BreakerClosed, 3*time.Second)
			if v, err := s.Get(ctx, late); err != nil || string(v) != "late" {
				t.Errorf("the timed-out Set after the master woke: %q, %v; want it applied (which is why it is unknown)", v, err)
			}
			if v, err := s.Get(ctx, refused); errors.Is(errRefused, store.ErrCircuitOpen) && !errors.Is(err, store.ErrNotFound) {
				t.Errorf("the refused Set after the master woke: %q, %v; want it not applied", v, err)
			}
		})
	}
}
