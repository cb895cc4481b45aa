package redis

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachekit/cachekit/internal/redistest"
	"github.com/cachekit/cachekit/store"
)

// standaloneWithCounter returns a Store built with New over a client whose commands are counted, and the
// namespace prefix the test must keep its keys under (swept when the test ends).
func standaloneWithCounter(t *testing.T, opts Options) (*Store, *counter, string) {
	t.Helper()
	return standalonePool(t, opts, 0)
}

// standalonePool is standaloneWithCounter with a given go-redis pool size (0: default).
func standalonePool(t *testing.T, opts Options, poolSize int) (*Store, *counter, string) {
	t.Helper()
	srv := redistest.Standalone(t)
	client := goredis.NewClient(&goredis.Options{Addr: srv.Addr, PoolSize: poolSize})
	c := newCounter()
	client.AddHook(c)
	opts.CloseClient = true
	s, err := New(client, opts)
	if err != nil {
		t.Fatal(err)
	}
	prefix := redistest.Namespace(t) + ":v1:"
	t.Cleanup(func() { sweep(t, s, prefix) })
	return s, c, prefix
}

// clusterWithCounter is standaloneWithCounter for a 3-master Cluster; the counter sees every node's
// commands and pipelines (a node-level hook), which is where round trips happen.
func clusterWithCounter(t *testing.T) (*Store, *counter, string) {
	t.Helper()
	cs := redistest.Cluster(t, 3)
	client := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: cs.Addrs})
	c := newCounter()
	client.OnNewNode(func(node *goredis.Client) { node.AddHook(c) })
	s, err := New(client, Options{CloseClient: true})
	if err != nil {
		t.Fatal(err)
	}
	prefix := redistest.Namespace(t) + ":v1:"
	t.Cleanup(func() { sweep(t, s, prefix) })
	return s, c, prefix
}

// sweep deletes the test's keys and closes s.
func sweep(t *testing.T, s *Store, prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := s.DeletePattern(ctx, prefix+"*"); err != nil && !errors.Is(err, store.ErrClosed) {
		t.Errorf("cleanup DeletePattern(%s*): %v", prefix, err)
	}
	_ = s.Close()
}

// fill stores n keys prefix+"k<i>" with value "v<i>" in one SetMany and returns the keys.
func fill(t *testing.T, s *Store, prefix string, n int) []string {
	t.Helper()
	keys := make([]string, n)
	items := make([]store.Item, n)
	for i := range n {
		keys[i] = fmt.Sprintf("%sk%d", prefix, i)
		items[i] = store.Item{Key: keys[i], Value: fmt.Appendf(nil, "v%d", i), TTL: time.Hour}
	}
	if err := s.SetMany(context.Background(), items); err != nil {
		t.Fatalf("SetMany: %v", err)
	}
	return keys
}

// checkHits asserts that got holds exactly keys[i] -> "v<i>" for every i where present(i), and nothing
// else.
func checkHits(t *testing.T, got map[string][]byte, keys []string, present func(i int) bool) {
	t.Helper()
	want := 0
	for i, k := range keys {
		if !present(i) {
			if v, ok := got[k]; ok {
				t.Errorf("GetMany returned %q = %q for a missing key", k, v)
			}
			continue
		}
		want++
		if v := got[k]; !bytes.Equal(v, fmt.Appendf(nil, "v%d", i)) {
			t.Errorf("GetMany[%q] = %q, want v%d", k, v, i)
		}
	}
	if len(got) != want {
		t.Errorf("GetMany returned %d entries, want %d", len(got), want)
	}
}

func TestGetManyStandaloneIsOneMGET(t *testing.T) {
	s, c, prefix := standaloneWithCounter(t, Options{})
	ctx := context.Background()
	keys := fill(t, s, prefix, 100)
	for i := 1; i < len(keys); i += 2 { // every odd key missing
		if _, err := s.Delete(ctx, keys[i]); err != nil {
			t.Fatal(err)
		}
	}
	c.reset()
	got, err := s.GetMany(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	total, byName, pipelines := c.snapshot()
	if total != 1 || byName["mget"] != 1 || pipelines != 0 {
		t.Errorf("GetMany(100) sent %d commands %v and %d pipelines, want exactly one MGET", total, byName, pipelines)
	}
	checkHits(t, got, keys, func(i int) bool { return i%2 == 0 })
}

func TestGetManyClusterOneRoundTripPerNode(t *testing.T) {
	s, c, prefix := clusterWithCounter(t)
	ctx := context.Background()
	keys := fill(t, s, prefix, 100) // 100 distinct keys: spread over the slots of all three masters
	if _, err := s.Delete(ctx, keys[7], keys[42]); err != nil {
		t.Fatal(err)
	}
	c.reset()
	got, err := s.GetMany(ctx, keys)
	if err != nil {
		t.Fatalf("GetMany across slots: %v (CROSSSLOT would show here)", err)
	}
	total, byName, pipelines := c.snapshot()
	if pipelines > 3 || pipelines < 2 {
		t.Errorf("GetMany(100) on 3 masters used %d node pipelines, want one per node holding keys (2..3)", pipelines)
	}
	if total != 0 {
		t.Errorf("GetMany sent single commands %v besides the pipelines", byName)
	}
	checkHits(t, got, keys, func(i int) bool { return i != 7 && i != 42 })
}

func TestDeleteBatchesStandalone(t *testing.T) {
	s, c, prefix := standaloneWithCounter(t, Options{DeleteBatch: 7, ScanCount: 50})
	ctx := context.Background()
	keys := fill(t, s, prefix, 20)
	c.reset()
	n, err := s.Delete(ctx, append(keys[:20:20], prefix+"never-written")...)
	if err != nil || n != 20 {
		t.Fatalf("Delete(20 present + 1 missing) = %d, %v; want 20, nil", n, err)
	}
	if _, byName, _ := c.snapshot(); byName["unlink"] != 3 || byName["del"] != 0 {
		t.Errorf("Delete of 21 keys with DeleteBatch 7 sent %v, want 3 UNLINKs", byName)
	}

	fill(t, s, prefix, 300)
	c.reset()
	n, err = s.DeletePattern(ctx, prefix+"k*")
	if err != nil || n != 300 {
		t.Fatalf("DeletePattern = %d, %v; want 300, nil", n, err)
	}
	if _, byName, _ := c.snapshot(); byName["unlink"] < 300/7 || byName["keys"] != 0 {
		t.Errorf("DeletePattern of 300 keys with DeleteBatch 7 sent %v, want at least %d UNLINKs and never KEYS", byName, 300/7)
	}
	if m, _ := s.GetMany(ctx, keys); len(m) != 0 {
		t.Errorf("%d keys survived DeletePattern", len(m))
	}
}

func TestDeleteAcrossSlotsCluster(t *testing.T) {
	s, c, prefix := clusterWithCounter(t)
	ctx := context.Background()
	keys := fill(t, s, prefix, 300)
	n, err := s.Delete(ctx, keys[:100]...)
	if err != nil || n != 100 {
		t.Fatalf("Delete of 100 keys across slots = %d, %v; want 100, nil", n, err)
	}
	c.reset()
	n, err = s.DeletePattern(ctx, prefix+"k*")
	if err != nil || n != 200 {
		t.Fatalf("DeletePattern across 3 masters = %d, %v; want 200, nil", n, err)
	}
	if _, byName, _ := c.snapshot(); byName["scan"] < 3 || byName["keys"] != 0 {
		t.Errorf("DeletePattern sent %v, want SCAN on each of the 3 masters and never KEYS", byName)
	}
	if m, _ := s.GetMany(ctx, keys); len(m) != 0 {
		t.Errorf("%d keys survived DeletePattern", len(m))
	}
}

// Returned slices are the caller's: go-redis decodes each reply into its own buffer, and this pins that
// (a slice aliasing a connection's read buffer would change under later reads).
func TestReturnedSlicesAreOwned(t *testing.T) {
	s, _, prefix := standalonePool(t, Options{}, 1) // one connection: every read goes through its buffer
	ctx := context.Background()
	a, b := prefix+"a", prefix+"b"
	for k, v := range map[string]string{a: "aaaaaaaa", b: "bbbbbbbb"} {
		if err := s.Set(ctx, k, []byte(v), time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	first, err := s.Get(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	many, err := s.GetMany(ctx, []string{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, b); err != nil { // more reads through the same connection
		t.Fatal(err)
	}
	if string(first) != "aaaaaaaa" || string(many[a]) != "aaaaaaaa" || string(many[b]) != "bbbbbbbb" {
		t.Fatalf("earlier results changed under later reads: %q %q %q", first, many[a], many[b])
	}
	copy(first, "XXXXXXXX")
	copy(many[b], "YYYYYYYY")
	if string(many[a]) != "aaaaaaaa" {
		t.Fatalf("modifying one GetMany value changed another: %q", many[a])
	}
	again, err := s.Get(ctx, a)
	if err != nil || string(again) != "aaaaaaaa" {
		t.Errorf("after modifying a returned slice, Get = %q, %v; want the stored value", again, err)
	}
	if m, _ := s.GetMany(ctx, []string{b}); string(m[b]) != "bbbbbbbb" {
		t.Errorf("after modifying a GetMany slice, GetMany = %q", m[b])
	}
}

func TestEmptyValueIsAHit(t *testing.T) {
	s, _, prefix := standaloneWithCounter(t, Options{})
	ctx := context.Background()
	k := prefix + "empty"
	if err := s.Set(ctx, k, nil, time.Hour); err != nil {
		t.Fatal(err)
	}
	v, err := s.Get(ctx, k)
	if err != nil || v == nil || len(v) != 0 {
		t.Errorf("Get of an empty value = %#v, %v; want a non-nil empty slice", v, err)
	}
	m, err := s.GetMany(ctx, []string{k})
	if v, ok := m[k]; err != nil || !ok || v == nil || len(v) != 0 {
		t.Errorf("GetMany of an empty value = %#v (present %v), %v", v, ok, err)
	}
}

func TestTTLOfPersistentKey(t *testing.T) {
	s, _, prefix := standaloneWithCounter(t, Options{})
	ctx := context.Background()
	k := prefix + "persistent"
	if err := s.Client().Set(ctx, k, "v", 0).Err(); err != nil { // written by someone else, no expiry
		t.Fatal(err)
	}
	if d, err := s.TTL(ctx, k); err != nil || d != NoExpiry {
		t.Errorf("TTL of a key without expiry = %v, %v; want NoExpiry", d, err)
	}
}

func TestSubMillisecondTTLRoundsUp(t *testing.T) {
	s, _, prefix := standaloneWithCounter(t, Options{})
	ctx := context.Background()
	k := prefix + "tiny"
	if err := s.Set(ctx, k, []byte("v"), 1500*time.Microsecond); err != nil {
		t.Fatal(err)
	}
	if ms, err := s.Client().PTTL(ctx, k).Result(); err == nil && ms > 2*time.Millisecond {
		t.Errorf("PTTL after Set(1.5ms) = %v, want at most 2ms", ms)
	}
}

// Every method checks its context first: a cancelled context costs no command at all.
func TestCancelledContextSendsNothing(t *testing.T) {
	s, c, prefix := standaloneWithCounter(t, Options{})
	k := prefix + "k"
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	for _, tc := range []struct {
		ctx  context.Context
		want error
	}{{cancelled, context.Canceled}, {expired, context.DeadlineExceeded}} {
		c.reset()
		calls := callEveryMethod(tc.ctx, s, k)
		for name, err := range calls {
			if !errors.Is(err, tc.want) {
				t.Errorf("%s with a done context: %v, want %v", name, err, tc.want)
			}
			var op *store.OpError
			if !errors.As(err, &op) || op.Backend != "redis" {
				t.Errorf("%s: %T is not an *store.OpError of backend redis", name, err)
			}
		}
		if total, byName, pipes := c.snapshot(); total+pipes != 0 {
			t.Errorf("a done context still sent %v and %d pipelines", byName, pipes)
		}
	}
}

// A deadline that passes while Redis is working is reported as the context's error, not as an outage.
func TestDeadlineDuringCall(t *testing.T) {
	srv := redistest.Standalone(t)
	s := openT(t, srv.URL) // a URL-opened client honours context deadlines
	ctx := context.Background()
	k := redistest.Namespace(t) + ":v1:k"
	// CLIENT PAUSE holds every client's commands for 300 ms, longer than the deadline below.
	if err := s.Client().Do(ctx, "client", "pause", 300, "all").Err(); err != nil {
		t.Fatal(err)
	}
	defer s.Client().Do(ctx, "client", "unpause") // release the shared server for the next test
	dctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err := s.Get(dctx, k)
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Get whose deadline passed during the call: %v, want context.DeadlineExceeded (not ErrUnavailable)", err)
	}
}

// callEveryMethod calls each Store method that takes a context and returns the errors by method name.
func callEveryMethod(ctx context.Context, s *Store, k string) map[string]error {
	out := map[string]error{}
	_, out["Get"] = s.Get(ctx, k)
	_, out["GetMany"] = s.GetMany(ctx, []string{k})
	out["Set"] = s.Set(ctx, k, []byte("v"), time.Hour)
	out["SetMany"] = s.SetMany(ctx, []store.Item{{Key: k, Value: []byte("v"), TTL: time.Hour}})
	_, out["Add"] = s.Add(ctx, k, []byte("v"), time.Hour)
	_, out["Delete"] = s.Delete(ctx, k)
	_, out["TTL"] = s.TTL(ctx, k)
	_, out["DeletePattern"] = s.DeletePattern(ctx, k+"*")
	out["Scan"] = s.Scan(ctx, k+"*", func(string) bool { return true })
	_, out["Stats"] = s.Stats(ctx)
	out["Ping"] = s.Ping(ctx)
	out["EnsureEvictionPolicy"] = s.EnsureEvictionPolicy(ctx, "allkeys-lru")
	return out
}

func TestClosedStore(t *testing.T) {
	srv := redistest.Standalone(t)
	ctx := context.Background()
	client := goredis.NewClient(&goredis.Options{Addr: srv.Addr})
	defer client.Close()
	s, err := New(client, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v, want nil (idempotent)", err)
	}
	for name, err := range callEveryMethod(ctx, s, "k") {
		if !errors.Is(err, store.ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}
	if err := client.Ping(ctx).Err(); err != nil {
		t.Errorf("Close closed a client given to New without CloseClient: %v", err)
	}

	owned := goredis.NewClient(&goredis.Options{Addr: srv.Addr})
	s, _ = New(owned, Options{CloseClient: true})
	_ = s.Close()
	if err := owned.Ping(ctx).Err(); !errors.Is(err, goredis.ErrClosed) {
		t.Errorf("with CloseClient, the client still works after Close (%v)", err)
	}

	// A caller closing its own client under the Store gets ErrClosed, not ErrUnavailable.
	mine := goredis.NewClient(&goredis.Options{Addr: srv.Addr})
	s, _ = New(mine, Options{})
	_ = mine.Close()
	if _, err := s.Get(ctx, "k"); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Get on a closed client: %v, want ErrClosed", err)
	}
}

func TestNewRejectsUnsupportedClients(t *testing.T) {
	if _, err := New(nil, Options{}); err == nil {
		t.Error("New(nil) succeeded")
	}
	ring := goredis.NewRing(&goredis.RingOptions{Addrs: map[string]string{"a": "127.0.0.1:1"}})
	defer ring.Close()
	if _, err := New(ring, Options{}); err == nil {
		t.Error("New(ring) succeeded; SCAN cannot cover a Ring's independent shards")
	}
	c := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	if _, err := New(c, Options{ScanCount: -1}); err == nil {
		t.Error("New with a negative ScanCount succeeded")
	}
}

func TestInvalidArguments(t *testing.T) {
	s, c, prefix := standaloneWithCounter(t, Options{})
	ctx := context.Background()
	k := prefix + "k"
	c.reset()
	checks := []struct {
		name string
		err  error
		want error
	}{
		{"Get empty key", second(s.Get(ctx, "")), store.ErrInvalidKey},
		{"Set empty key", s.Set(ctx, "", []byte("v"), time.Hour), store.ErrInvalidKey},
		{"Set ttl 0", s.Set(ctx, k, []byte("v"), 0), store.ErrInvalidTTL},
		{"Set negative ttl", s.Set(ctx, k, []byte("v"), -time.Second), store.ErrInvalidTTL},
		{"Add ttl 0", second(s.Add(ctx, k, []byte("v"), 0)), store.ErrInvalidTTL},
		{"SetMany bad ttl", s.SetMany(ctx, []store.Item{{Key: k, TTL: time.Hour}, {Key: k + "2", TTL: 0}}), store.ErrInvalidTTL},
		{"SetMany empty key", s.SetMany(ctx, []store.Item{{Key: "", TTL: time.Hour}}), store.ErrInvalidKey},
		{"GetMany empty key", second(s.GetMany(ctx, []string{k, ""})), store.ErrInvalidKey},
		{"Delete empty key", second(s.Delete(ctx, k, "")), store.ErrInvalidKey},
		{"TTL empty key", second(s.TTL(ctx, "")), store.ErrInvalidKey},
		{"DeletePattern empty", second(s.DeletePattern(ctx, "")), store.ErrInvalidKey},
		{"Scan empty", s.Scan(ctx, "", func(string) bool { return true }), store.ErrInvalidKey},
	}
	for _, ch := range checks {
		if !errors.Is(ch.err, ch.want) {
			t.Errorf("%s: %v, want %v", ch.name, ch.err, ch.want)
		}
	}
	if err := s.EnsureEvictionPolicy(ctx, "lru-please"); err == nil || errors.Is(err, ErrPolicyRefused) {
		t.Errorf("EnsureEvictionPolicy(unknown): %v, want a validation error", err)
	}
	if total, byName, pipes := c.snapshot(); total+pipes != 0 {
		t.Errorf("invalid arguments still sent %v and %d pipelines", byName, pipes)
	}
	if _, err := s.Get(ctx, k); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a rejected SetMany stored something: Get = %v", err)
	}
}

func second[T any](_ T, err error) error { return err }

func TestScanStopsAndCoversCluster(t *testing.T) {
	s, _, prefix := clusterWithCounter(t)
	ctx := context.Background()
	keys := fill(t, s, prefix, 60)
	seen := map[string]bool{}
	if err := s.Scan(ctx, prefix+"k*", func(k string) bool { seen[k] = true; return true }); err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if !seen[k] {
			t.Errorf("Scan over 3 masters missed %q", k)
		}
	}
	calls := 0
	if err := s.Scan(ctx, prefix+"k*", func(string) bool { calls++; return calls < 5 }); err != nil || calls != 5 {
		t.Errorf("Scan whose fn returns false on the 5th key called it %d times (err %v), want 5", calls, err)
	}
}
