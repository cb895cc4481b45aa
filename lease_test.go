package cachekit_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/internal/redistest"
	"github.com/cachekit/cachekit/store"
)

// leaseInstances opens n Caches over one Redis (each its own client and pool, as n processes would
// have) in one namespace, with policy p for every kind.
func leaseInstances(t *testing.T, rawURL, ns string, n int, p cachekit.Policy) []*cachekit.Cache {
	t.Helper()
	caches := make([]*cachekit.Cache, n)
	for i := range caches {
		s, err := store.Open(context.Background(), rawURL)
		if err != nil {
			t.Fatal(err)
		}
		// 250 callers per instance queue for 20 pool connections: the fetch read timeout must not give
		// their first read up (a failed read loads without a lease, by design: the store looks hung).
		caches[i] = newCacheOver(t, s, cachekit.WithNamespace(ns), cachekit.WithDefaultPolicy(p),
			cachekit.WithFetchReadTimeout(5*time.Second))
	}
	return caches
}

// stampede runs perInstance concurrent Fetches of one cold key on each Cache and returns the values
// they got, failing the test on any error.
func stampede(t *testing.T, caches []*cachekit.Cache, perInstance int, key string, load func(context.Context) (string, error)) []string {
	t.Helper()
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		got []string
	)
	start := make(chan struct{})
	for _, c := range caches {
		for range perInstance {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				v, err := cachekit.Fetch(context.Background(), c, key, time.Minute, load)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					t.Errorf("Fetch: %v", err)
					return
				}
				got = append(got, v)
			}()
		}
	}
	close(start)
	wg.Wait()
	return got
}

// With Policy.Lease, 1,000 concurrent Fetches of one cold key across 4 Cache instances sharing Redis
// call the loader exactly once, and every caller gets that load's value; without it, each instance's
// own shared load is all there is (at most 4 loads). On tiered over Redis too (the lease lives in L2),
// and on a Redis Cluster.
func TestLeaseOneLoadAcrossInstances(t *testing.T) {
	srv := redistest.Standalone(t)
	// The lease protocol is under test, not the store's budgets: with 250 callers per instance queued
	// for 20 connections on a CI machine running every package under -race, a call can outlast the
	// default 1 s budget, and a Fetch whose store call failed loads without a lease, by design (the
	// failure message then shows StoreErrors). Generous budgets keep the store answering.
	const budgets = "dial_timeout=3s&read_timeout=3s&write_timeout=3s&pool_timeout=3s"
	patient := srv.URL + "?" + budgets
	// On a Cluster the lease key (key + "::lease") is in another slot than the value: each lease call
	// touches one key, so nothing needs them together.
	urls := map[string]string{
		"redis":   patient,
		"tiered":  "tiered://?l1=" + url.QueryEscape("memory://") + "&l2=" + url.QueryEscape(patient),
		"cluster": redistest.Cluster(t, 3).URL + "&" + budgets,
	}
	for name, raw := range urls {
		t.Run(name, func(t *testing.T) {
			for _, lease := range []time.Duration{2 * time.Second, 0} {
				t.Run(fmt.Sprintf("lease=%v", lease), func(t *testing.T) {
					caches := leaseInstances(t, raw, redistest.Namespace(t), 4, cachekit.Policy{Lease: lease})
					var calls atomic.Int64
					load := func(ctx context.Context) (string, error) {
						n := calls.Add(1)
						time.Sleep(150 * time.Millisecond) // long enough for every caller to arrive
						return fmt.Sprintf("load-%d", n), nil
					}
					got := stampede(t, caches, 250, "price:QRL/USDT", load)
					if len(got) != 1000 {
						t.Fatalf("%d of 1000 Fetches returned a value", len(got))
					}
					n := calls.Load()
					if lease > 0 {
						if n != 1 {
							var errs []int64
							for _, c := range caches {
								errs = append(errs, c.Counters().StoreErrors)
							}
							t.Fatalf("loader called %d times with the lease; want exactly 1 (store errors per instance: %v)", n, errs)
						}
						for _, v := range got {
							if v != "load-1" {
								t.Fatalf("a caller got %q; want the one load's value", v)
							}
						}
						var taken, waits int64
						for _, c := range caches {
							taken += c.Counters().LeasesTaken
							waits += c.Counters().LeaseWaits
						}
						// An instance whose load starts after the value landed finds it in its double-check
						// and waits for no lease: at most the other 3 wait.
						if taken != 1 || waits > 3 {
							t.Errorf("LeasesTaken=%d LeaseWaits=%d across instances; want 1 and at most 3", taken, waits)
						}
						// Released by its owner once the value was written, behind the callers' return: poll for
						// it, well within the lease's own expiry, which would hide a missing release.
						leaseKey := caches[0].Keyspace().Prefix() + "price:QRL/USDT::lease"
						for deadline := time.Now().Add(500 * time.Millisecond); ; time.Sleep(5 * time.Millisecond) {
							ttl, err := caches[0].Store().TTL(context.Background(), leaseKey)
							if err != nil {
								break
							}
							if time.Now().After(deadline) {
								t.Errorf("lease key still there (ttl %v) 500ms after the load", ttl)
								break
							}
						}
					} else if n < 1 || n > 4 {
						t.Fatalf("loader called %d times without the lease; want 1..4 (one per instance at most)", n)
					}
				})
			}
		})
	}
}

// On a tiered store whose L2 cannot compare and delete (memory), Policy.Lease is ignored as documented:
// no lease is taken, so none is left behind to make the next load wait for its expiry.
func TestLeaseIgnoredOnTieredOverMemory(t *testing.T) {
	c, err := cachekit.Open(context.Background(), "tiered://?l1="+url.QueryEscape("memory://")+"&l2="+url.QueryEscape("memory://"),
		cachekit.WithNamespace("leasemem"), cachekit.WithDefaultPolicy(cachekit.Policy{Lease: 2 * time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var calls atomic.Int64
	load := func(ctx context.Context) (string, error) { calls.Add(1); return "v", nil }
	for i := range 2 {
		if _, err := cachekit.Fetch(context.Background(), c, fmt.Sprintf("price:K%d", i), 20*time.Millisecond, load); err != nil {
			t.Fatal(err)
		}
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("loader called %d times for 2 cold keys, want 2", n)
	}
	got := c.Counters()
	if got.LeasesTaken != 0 || got.StoreErrors != 0 {
		t.Errorf("LeasesTaken=%d StoreErrors=%d; want 0 and 0 (no lease on a store that cannot release one)", got.LeasesTaken, got.StoreErrors)
	}
	if _, err := c.Store().TTL(context.Background(), c.Keyspace().Prefix()+"price:K0::lease"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("lease key: %v; want none (ErrNotFound)", err)
	}
}

// A holder that dies mid-load (a child process killed while its loader runs) costs the others at most
// the lease TTL: they answer within lease TTL + one load, and exactly one of them loads.
func TestLeaseHolderKilledMidLoad(t *testing.T) {
	if os.Getenv("CACHEKIT_LEASE_CHILD_URL") != "" {
		leaseChild()
		return
	}
	srv := redistest.Standalone(t)
	ns := redistest.Namespace(t)
	const lease, loadTime = 1500 * time.Millisecond, 100 * time.Millisecond

	child := exec.Command(os.Args[0], "-test.run=^TestLeaseHolderKilledMidLoad$", "-test.count=1")
	child.Env = append(os.Environ(), "CACHEKIT_LEASE_CHILD_URL="+srv.URL, "CACHEKIT_LEASE_CHILD_NS="+ns,
		"CACHEKIT_LEASE_CHILD_LEASE="+lease.String())
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = child.Process.Kill(); _ = child.Wait() })
	lines := bufio.NewScanner(out)
	for lines.Scan() && !strings.Contains(lines.Text(), "child: loading") {
	}
	if err := child.Process.Kill(); err != nil { // mid-load, lease held, nothing released
		t.Fatal(err)
	}
	_ = child.Wait()
	killed := time.Now()

	caches := leaseInstances(t, srv.URL, ns, 3, cachekit.Policy{Lease: lease})
	var calls atomic.Int64
	load := func(ctx context.Context) (string, error) {
		calls.Add(1)
		time.Sleep(loadTime)
		return "survivor", nil
	}
	got := stampede(t, caches, 20, "price:QRL/USDT", load)
	took := time.Since(killed)
	if len(got) != 60 || got[0] != "survivor" {
		t.Fatalf("got %d values (%v...); want 60 of the survivor's load", len(got), got[:min(1, len(got))])
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("loader called %d times after the holder died; want exactly 1", n)
	}
	// The bound the lease promises, plus the poll interval and a margin for a shared machine.
	if bound := lease + loadTime + 500*time.Millisecond; took > bound {
		t.Errorf("answered %v after the holder died; want within lease TTL + load (%v, margin included)", took, bound)
	}
	t.Logf("answered %v after the holder was killed (lease %v, load %v)", took.Round(time.Millisecond), lease, loadTime)
}

// leaseChild is the doomed holder: it takes the lease in a Fetch whose loader never returns.
func leaseChild() {
	lease, _ := time.ParseDuration(os.Getenv("CACHEKIT_LEASE_CHILD_LEASE"))
	c, err := cachekit.Open(context.Background(), os.Getenv("CACHEKIT_LEASE_CHILD_URL"),
		cachekit.WithNamespace(os.Getenv("CACHEKIT_LEASE_CHILD_NS")), cachekit.WithDefaultPolicy(cachekit.Policy{Lease: lease}))
	if err != nil {
		fmt.Println("child:", err)
		os.Exit(2)
	}
	_, _ = cachekit.Fetch(context.Background(), c, "price:QRL/USDT", time.Minute, func(ctx context.Context) (string, error) {
		fmt.Println("child: loading")
		select {} // killed here
	})
}

// A lease another process holds and never releases (here a foreign token set for 10 s) makes a waiter
// load without it after twice Policy.Lease, not after the foreign lease's own expiry; with
// WithFetchReadTimeout(0) too, where each lease call is bounded by the lease alone.
func TestLeaseWaiterGivesUpAfterTwiceTheLease(t *testing.T) {
	srv := redistest.Standalone(t)
	const lease = 300 * time.Millisecond
	for _, readTimeout := range []time.Duration{cachekit.DefaultFetchReadTimeout, 0} {
		t.Run(fmt.Sprintf("fetch_read_timeout=%v", readTimeout), func(t *testing.T) {
			s, err := store.Open(context.Background(), srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			c := newCacheOver(t, s, cachekit.WithNamespace(redistest.Namespace(t)),
				cachekit.WithDefaultPolicy(cachekit.Policy{Lease: lease}), cachekit.WithFetchReadTimeout(readTimeout))
			leaseKey := c.Keyspace().Prefix() + "price:QRL/USDT::lease"
			if err := s.Set(context.Background(), leaseKey, []byte("someone-else"), 10*time.Second); err != nil {
				t.Fatal(err)
			}
			began := time.Now()
			v, err := cachekit.Fetch(context.Background(), c, "price:QRL/USDT", time.Minute, func(context.Context) (string, error) { return "mine", nil })
			took := time.Since(began)
			if err != nil || v != "mine" {
				t.Fatalf("Fetch = %q, %v; want its own load", v, err)
			}
			if bound := 2*lease + time.Second; took > bound {
				t.Errorf("Fetch took %v behind a lease held for 10 s; want it to give up after twice the lease (bound %v, margin included)", took, bound)
			}
			if got, err := s.Get(context.Background(), leaseKey); err != nil || string(got) != "someone-else" {
				t.Errorf("the foreign lease = %q, %v; want it untouched (released by its owner only)", got, err)
			}
		})
	}
}
