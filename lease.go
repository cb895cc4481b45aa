package cachekit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"time"

	"github.com/cachekit/cachekit/store"
)

// The cross-process stampede lease (Policy.Lease).
//
// Before loading a key, the process takes the key's lease: SET NX of leaseKey(full) = a random token,
// for Policy.Lease (store.Add). The holder loads and writes the value, then releases the lease with an
// owner-only compare-and-delete (store.CompareDeleter), so it can never delete a lease another process
// took after its own expired. The other processes poll the value (and the lease) with a short, growing
// interval and use the value the moment it is there; when the lease is free again without a value (the
// holder failed or died: a dead holder's lease expires after Policy.Lease at most), the next process
// takes it and loads. Nobody waits past twice the lease: then it loads without one. The lease key is
// not in the value's Cluster slot, and need not be: SET NX, the release script and the polls each touch
// one key.
const (
	leaseSuffix      = "::lease" // an empty segment: no key of the keyspace can end so
	leasePollInitial = 2 * time.Millisecond
	leasePollMax     = 25 * time.Millisecond
)

// leaseStore returns s as the CompareDeleter that releases leases, or nil when leases cannot work on it
// (Policy.Lease is then ignored, as documented): a composite store (tiered) compares and deletes through
// its innermost tier, L2, so one whose L2 cannot (a memory L2) would take leases it could never release.
func leaseStore(s store.Store) store.CompareDeleter {
	cd, ok := s.(store.CompareDeleter)
	if !ok {
		return nil
	}
	if comp, ok := s.(store.Composite); ok {
		tiers := comp.Tiers()
		if len(tiers) == 0 || leaseStore(tiers[len(tiers)-1]) == nil {
			return nil
		}
	}
	return cd
}

// leaseKey is the lease key of a full key: in the namespace (ClearAll removes it too), but never a key
// a Cache can write, since keyspace segments are never empty.
func leaseKey(full string) string { return full + leaseSuffix }

// heldLease is a lease this process took; release gives it back.
type heldLease struct {
	c          *Cache
	key, token string
}

// release deletes the lease if it is still this process's own.
func (l *heldLease) release(ctx context.Context) {
	if l == nil {
		return
	}
	if _, err := l.c.leaser.DeleteIfValue(ctx, l.key, []byte(l.token)); err != nil {
		l.c.counts.storeErrors.Add(1) // it expires by itself
	}
}

// releaseLater releases the lease in the background, within the Cache's life and at most within
// lease (after which it has expired anyway): for a lease whose SET NX failed with an unknown outcome.
func (l *heldLease) releaseLater(lease time.Duration) {
	go func() {
		ctx, cancel := context.WithTimeout(l.c.bg, lease)
		defer cancel()
		_, _ = l.c.leaser.DeleteIfValue(ctx, l.key, []byte(l.token))
	}()
}

// leaseToken is a random token naming one lease holder.
func leaseToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// awaitLease runs before a load when the policy asks for a lease. It returns the held lease when this
// process should load (nil when it loads without one: no lease on this store, or the store failed), or
// done=true when it finished the flight with a value another process wrote.
func (j *loadJob[T]) awaitLease(ctx context.Context, fl *flight) (lease *heldLease, done bool) {
	c := j.c
	if j.p.Lease <= 0 || c.leaser == nil || j.readFailed {
		return nil, false
	}
	key, token := leaseKey(j.full), leaseToken()
	giveUp := time.Now().Add(2 * j.p.Lease)
	// callBy is the deadline of one round of lease calls: bounded like Fetch's read
	// (WithFetchReadTimeout), so a store that hangs between the read and the lease costs a caller no
	// more than the read did (past it, this process loads without a lease), and never past giveUp.
	callBy := func() time.Time {
		d := time.Now().Add(min(j.readBudget, j.p.Lease))
		if d.After(giveUp) {
			return giveUp
		}
		return d
	}
	wait := leasePollInitial
	for {
		// Taking the lease and the read after it share one deadline: together they cost at most one
		// store share, as the double-check of a load without a lease would.
		takeBy := callBy()
		sctx, cancel := context.WithDeadline(ctx, takeBy)
		took, err := c.st.Add(sctx, key, []byte(token), j.p.Lease)
		cancel()
		if err != nil {
			c.counts.storeErrors.Add(1)
			if !errors.Is(err, store.ErrCircuitOpen) {
				// The SET NX may still land (outcome unknown): give it back if it did, so the other
				// processes do not wait a whole lease for a load that happens without it.
				(&heldLease{c: c, key: key, token: token}).releaseLater(j.p.Lease)
			}
			return nil, false
		}
		if took {
			held := &heldLease{c: c, key: key, token: token}
			// The previous holder may have written the value and released the lease since this
			// process last looked: read once more before loading, or the key is loaded twice.
			sctx, cancel := context.WithDeadline(ctx, takeBy)
			data, err := c.st.Get(sctx, j.full)
			cancel()
			if err == nil && j.takeStored(fl, data) {
				held.release(ctx)
				c.counts.leaseWaits.Add(1)
				return nil, true
			}
			c.counts.leasesTaken.Add(1) // taken to load
			return held, false
		}
		if !time.Now().Before(giveUp) {
			return nil, false
		}
		t := time.NewTimer(min(wait, time.Until(giveUp)))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, false
		case <-t.C:
		}
		wait = min(2*wait, leasePollMax)
		if !time.Now().Before(giveUp) {
			return nil, false
		}
		sctx, cancel = context.WithDeadline(ctx, callBy())
		data, err := c.st.Get(sctx, j.full)
		cancel()
		switch {
		case err == nil:
			if j.takeStored(fl, data) {
				c.counts.leaseWaits.Add(1)
				return nil, true
			}
		case !isMiss(err):
			c.counts.storeErrors.Add(1)
			return nil, false
		}
	}
}
