// Package memory is the in-process cachekit backend, a store.Store over ristretto v2 (TinyLFU admission,
// sampled-LFU eviction, a byte budget). Import it for its side effect to make the "memory" URL scheme
// available ("memory://?max_bytes=64MiB"), or call New.
//
// Guarantees, beyond the store.Store contract:
//   - Read-your-writes without a ristretto Wait per Set: once Set returns nil, the next Get, View or
//     GetDecoded on the Store sees the value (until it expires, is overwritten or is evicted, which
//     Stats.Evictions counts), and a Set that ristretto would not admit returns store.ErrNotStored
//     (counted in Stats.RejectedSets). Writes of one key are serialised and an older value never
//     reappears. (How, without waiting: the pending-write overlay, pending.go.)
//   - An entry's bytes never change once stored, so View (store.Viewer) lends them without a copy, and
//     GetDecoded (store.DecodedCache) keeps one decoded form beside them: a hot key is decoded once per
//     write, not once per read.
//   - Two keys whose 64-bit hashes collide never see each other's value: the stored key is compared on
//     every read (they share a slot and displace each other, as an eviction would).
//   - GetFresh, GetManyFresh, ViewFresh and GetDecodedFresh (fresh.go) read an entry only while more
//     than a given reserve of its lifetime is left, in one lookup: store/tiered's L1 fail-safe keeps
//     copies past their logical expiry with them.
//   - Scan, DeletePattern, Stats and TTL see every live key, although ristretto keeps only key hashes
//     (each entry carries its key; see entry.go); the garbage collector never scans cached data.
package memory

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/ristretto/v2"

	"github.com/cachekit/cachekit/store"
)

// backend is the Backend name in every *store.OpError and in Stats.
const backend = "memory"

// Defaults applied by New to zero Options fields.
const (
	// DefaultMaxBytes is the byte budget when Options.MaxBytes is 0.
	DefaultMaxBytes = 64 << 20
	// DefaultBufferItems is ristretto's Get-buffer size when Options.BufferItems is 0.
	DefaultBufferItems = 64
	// assumedEntryBytes sizes the default NumCounters: ristretto recommends 10 counters per entry the
	// cache holds when full, and a cached ticker or small series is a few hundred bytes.
	assumedEntryBytes = 256
	minCounters       = 1 << 10
)

// ErrInvalidOptions is wrapped by the error New returns for an unusable Options value; the message names
// the field.
var ErrInvalidOptions = errors.New("memory: invalid options")

// Options configures New. The zero value is usable: every zero field takes its default.
type Options struct {
	// MaxBytes is the byte budget. Each entry costs len(key)+len(value); Go and ristretto bookkeeping
	// (roughly 150 bytes per entry) is not counted. A value whose cost exceeds MaxBytes is refused with
	// store.ErrNotStored. An overwrite that grows a value can take the total past the budget until the
	// next new key makes ristretto evict (ristretto makes room only on admission). 0 means
	// DefaultMaxBytes (64 MiB); negative is an error.
	MaxBytes int64
	// NumCounters is the number of TinyLFU access counters (about 3 bytes each). 0 means ten per entry
	// that fits the budget at about 256 bytes an entry; negative is an error.
	NumCounters int64
	// BufferItems is ristretto's Get-buffer size; 0 means DefaultBufferItems (64); negative is an error.
	BufferItems int64
}

// withDefaults validates o and fills its zero fields.
func (o Options) withDefaults() (Options, error) {
	switch {
	case o.MaxBytes < 0:
		return o, fmt.Errorf("%w: MaxBytes is %d; want > 0 (0 means %d)",
			ErrInvalidOptions, o.MaxBytes, DefaultMaxBytes)
	case o.NumCounters < 0:
		return o, fmt.Errorf("%w: NumCounters is %d; want > 0 (0 derives it from MaxBytes)",
			ErrInvalidOptions, o.NumCounters)
	case o.BufferItems < 0:
		return o, fmt.Errorf("%w: BufferItems is %d; want > 0 (0 means %d)",
			ErrInvalidOptions, o.BufferItems, DefaultBufferItems)
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.NumCounters == 0 {
		o.NumCounters = max(minCounters, min(o.MaxBytes/assumedEntryBytes, 1<<40)*10)
	}
	if o.BufferItems == 0 {
		o.BufferItems = DefaultBufferItems
	}
	return o, nil
}

// numStripes is the number of lock stripes (and overlay shards, and counter shards); a power of two.
const numStripes = 128

// stripe serialises writes to the keys hashing to it, holds their pending writes, and carries the
// per-stripe counters that keep the read path free of shared hot cache lines.
type stripe struct {
	mu      sync.Mutex
	pending map[uint64]pending // guarded by mu
	npend   atomic.Int32       // len(pending) (briefly more while the drainer releases), read without mu
	active  atomic.Int64       // calls in flight that entered through this stripe (Close waits for 0)
	hits    atomic.Int64
	misses  atomic.Int64
	_       [64]byte // keep neighbouring stripes off this cache line (and its prefetch pair)
}

// Store is the ristretto-backed store.Store. It is safe for concurrent use; create it with New.
type Store struct {
	cache    *ristretto.Cache[uint64, entry]
	seed     maphash.Seed
	base     time.Time // origin of the monotonic clock that entry expiries use
	maxBytes int64

	closed    atomic.Bool
	closeOnce sync.Once

	stripes [numStripes]stripe

	// The pending-write overlay (see pending.go).
	npending    atomic.Int64  // records in all stripes' overlays (the drainer's work indicator)
	pendingCost atomic.Int64  // summed cost of pending entries
	epoch       atomic.Uint64 // drain generation; see drainOnce
	room        atomic.Int64  // a recent ristretto RemainingCost; see Store.fits
	drainMu     sync.Mutex
	// rejectEvents counts OnReject calls; lastRejects (guarded by drainMu) is its value at the last
	// drain pass, so a pass with no rejection since skips reading every entry's flags.
	rejectEvents atomic.Int64
	lastRejects  int64
	kick         chan struct{} // wakes the drainer; capacity 1
	stop         chan struct{} // closed by Close to stop the drainer
	drained      chan struct{} // closed by the drainer when it exits

	evictions atomic.Int64 // entries ristretto evicted to make room
	expired   atomic.Int64 // entries ristretto's TTL sweep removed
	dropped   atomic.Int64 // pending writes evicted before they settled (counted as evictions)
	rejected  atomic.Int64 // Sets that returned ErrNotStored

	// uncounted turns hit and miss counting of single-key reads off, for the benchmark that measures
	// what counting costs; only tests set it (export_test.go).
	uncounted bool
}

var _ store.Store = (*Store)(nil)

// New returns an empty Store. Invalid options are an error wrapping ErrInvalidOptions that names the
// field. The Store runs two ristretto goroutines and a drainer until Close.
func New(opts Options) (*Store, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Store{
		seed:     maphash.MakeSeed(),
		base:     time.Now(),
		maxBytes: o.MaxBytes,
		kick:     make(chan struct{}, 1),
		stop:     make(chan struct{}),
		drained:  make(chan struct{}),
	}
	for i := range s.stripes {
		s.stripes[i].pending = make(map[uint64]pending, 8)
	}
	s.room.Store(0) // pessimistic until the first reading: fits then asks ristretto
	s.cache, err = ristretto.NewCache(&ristretto.Config[uint64, entry]{
		NumCounters:        o.NumCounters,
		MaxCost:            o.MaxBytes,
		BufferItems:        o.BufferItems,
		IgnoreInternalCost: true,
		// Metrics stay off: they cost far more than the per-stripe counters kept here.
		Metrics: false,
		// The key already is our 64-bit hash; the stored entry's key is compared on every read, which
		// makes ristretto's second (conflict) hash unnecessary.
		KeyToHash: func(h uint64) (uint64, uint64) { return h, 0 },
		// Called by ristretto while it replaces a stored value: lets Set know its write was applied
		// synchronously.
		ShouldUpdate: func(cur, prev entry) bool {
			f := flagUpdated
			if prev != nil && prev.exp() <= s.now() {
				f |= flagReplacedExpired
			}
			cur.flags().Or(f)
			return true
		},
		OnReject: func(it *ristretto.Item[entry]) {
			if it.Value != nil {
				it.Value.flags().Or(flagRejected)
				s.rejectEvents.Add(1)
			}
		},
		OnEvict: func(it *ristretto.Item[entry]) {
			switch {
			case it.Value == nil: // the policy dropped a key whose value was already gone
			case it.Expiration.IsZero(): // policy victims carry no expiration; TTL sweeps do
				s.evictions.Add(1)
			default:
				s.expired.Add(1)
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidOptions, err)
	}
	go s.drainLoop()
	return s, nil
}

// hash returns the 64-bit hash of key (hash/maphash, computed once per call) that addresses its stripe
// and its ristretto slot; ristretto's own second hash is off, since reads compare the stored key.
func (s *Store) hash(key string) uint64 { return maphash.String(s.seed, key) }

func (s *Store) stripe(h uint64) *stripe { return &s.stripes[h&(numStripes-1)] }

// now reads the store's monotonic clock: wall-clock steps never expire or revive entries.
func (s *Store) now() int64 { return int64(time.Since(s.base)) }

// enter starts a call through st: it registers the call in flight, then runs store.CheckCall (closed,
// then ctx). Each nil return is paired with st.active.Add(-1). Close sets closed, then waits for every
// stripe's active count to reach zero, so a call either sees closed or is waited for before ristretto
// closes (ristretto panics on use after Close).
func (s *Store) enter(ctx context.Context, st *stripe, op, key string) error {
	st.active.Add(1)
	if err := store.CheckCall(ctx, s.closed.Load(), backend, op, key); err != nil {
		st.active.Add(-1)
		return err
	}
	return nil
}

func opErr(op, key string, err error) error {
	return &store.OpError{Op: op, Key: key, Backend: backend, Err: err}
}

// Close stops the drainer and ristretto's goroutines after waiting for calls in flight to return (a
// running Scan's callbacks are not waited for: they run after Scan has left ristretto). Every later call
// fails with store.ErrClosed. Close is idempotent and always returns nil; concurrent Close calls all
// return once the store is closed.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		for i := range s.stripes {
			for spins := 0; s.stripes[i].active.Load() != 0; spins++ {
				if spins < 100 {
					runtime.Gosched()
				} else {
					time.Sleep(50 * time.Microsecond)
				}
			}
		}
		close(s.stop)
		<-s.drained
		s.cache.Close()
	})
	return nil
}
