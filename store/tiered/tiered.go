package tiered

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cachekit/cachekit/store"
)

// backendName is the OpError.Backend and Stats.Backend of this package.
const backendName = "tiered"

// Defaults of Options.
const (
	// DefaultL1MaxTTL caps the lifetime of L1 entries when Options.L1MaxTTL is 0. It is the staleness an
	// instance can show in the worst case (an invalidation lost without any sign), and costs one L2 read
	// per hot key per instance per period.
	DefaultL1MaxTTL = 2 * time.Second
	// DefaultChannel is the invalidation channel when Options.Channel is "".
	DefaultChannel = "cachekit:invalidate"
	// defaultPublishTimeout bounds one publication when Options.L2Timeout is 0.
	defaultPublishTimeout = 2 * time.Second
)

// ErrInvalidOptions is wrapped by the error New returns for unusable arguments; the message names them.
var ErrInvalidOptions = errors.New("tiered: invalid options")

// Options configures New. The zero value is usable.
type Options struct {
	// L1MaxTTL caps the lifetime of every L1 entry (backfilled or written through): 0 means
	// DefaultL1MaxTTL; negative is an error. It bounds staleness when an invalidation is lost.
	L1MaxTTL time.Duration

	// Channel is the Broadcaster channel invalidations travel on: "" means DefaultChannel. Instances
	// that share keys must use the same channel.
	Channel string

	// L2Timeout bounds each keyed L2 call (Get, GetMany, Set, SetMany, Add, Delete, TTL) and each
	// publication; an L2 call that exceeds it fails with an error wrapping store.ErrUnavailable. 0 leaves
	// the bound to L2's own timeouts; negative is an error. Scan and DeletePattern are never cut short.
	L2Timeout time.Duration

	// SyncPublish makes every write wait until its invalidation has been handed to L2 (or ctx is done)
	// before returning; see the package documentation for what that does and does not promise.
	SyncPublish bool

	// DisableInvalidation turns cross-instance invalidation off even when L2 is a store.Broadcaster or a
	// store.Tracker: for a single instance, or when L1MaxTTL alone is an acceptable staleness bound.
	DisableInvalidation bool

	// Invalidation picks the coherence path: "" or InvalidationAuto (the default: server-assisted
	// tracking when L2 can track, else pub/sub), InvalidationTracking (tracking only; New fails when L2
	// is not a store.Tracker) or InvalidationPubSub (published invalidations only). Any other value is
	// an error.
	Invalidation InvalidationMode

	// TrackPrefix is the key prefix tracking watches (Redis BCAST PREFIX), usually the keyspace's
	// prefix such as "qrl:v1:" (the root package's Open passes its keyspace prefix to a tiered URL that
	// names none). "" means every key of L2's database: correct, but every instance then hears of every
	// write to the server. Keys outside it are not kept coherent by tracking (only by L1MaxTTL), so it
	// must cover every key this Store caches. Unused by the pub/sub path.
	TrackPrefix string

	// L1FailSafe is the L1 fail-safe window, the longest an L1 copy is served past its L1 lifetime, and
	// then only while L2 fails (see "L1 fail-safe" in the package documentation): every L1 copy is kept
	// for its L1 lifetime plus L1FailSafe, but served fresh only within its L1 lifetime. 0, the default,
	// turns the fail-safe off (L1 copies are kept for their L1 lifetime only); negative is an error.
	L1FailSafe time.Duration
}

// Store is the two-tier store. It is safe for concurrent use; create it with New.
type Store struct {
	l1, l2 store.Store
	opts   Options
	fresh  freshReader // l1's fresh reads for the fail-safe, or nil

	closed    atomic.Bool
	closeOnce sync.Once

	g guard
	c counters
	// l1HitsBase is L1's Stats.Hits when New ran: L1's hits since then are this Store's L1 hits.
	l1HitsBase int64

	// Invalidation; bc is nil when it is off. It is L2 behind a gatedBroadcaster (tracking.go); tracker is
	// L2 when the tracking path may be used.
	bc        store.Broadcaster
	tracker   store.Tracker
	tracking  atomic.Bool            // the tracking path is in use: writes publish nothing
	state     atomic.Pointer[string] // InvalidationState
	id        [idLen]byte
	pub       *publisher
	subCancel context.CancelFunc
	subDone   chan struct{}
	ready     chan struct{} // closed once the first subscription is confirmed (at once when off)
	live      atomic.Bool   // a subscription is confirmed
	dirty     atomic.Bool   // L1 may hold entries read or written before the subscription was live
	w         watchers      // WatchInvalidations
	rf        *refiller     // own-write refills (refill.go); nil unless the tracking path may be used

	// testHookApplied, when set, is called after an invalidation from another instance was applied.
	testHookApplied atomic.Pointer[func(kind entryKind, text string)]
}

var (
	_ store.Store     = (*Store)(nil)
	_ store.Composite = (*Store)(nil)
)

// Tiers returns L1 and L2, in that order, in a new slice (store.Composite), so that a caller can reach a
// backend inside, to instrument its client for instance. The Store still owns them: Close closes them,
// and a caller must not close them, write to L1 (which must hold this Store's copies only), or break
// L2's invalidation subscription.
func (s *Store) Tiers() []store.Store { return []store.Store{s.l1, s.l2} }

// New returns a Store with l1 in front of l2. The Store owns both: Close closes them. l1 must be used by
// this Store alone (a flush after a lost subscription empties it entirely); l2 may be shared by any
// number of instances. New does no I/O: when l2 is a store.Tracker or a store.Broadcaster, tracking or
// the invalidation subscription (see Options.Invalidation) is established in the background (see
// Ready) and retried with backoff while L2 is unreachable.
func New(l1, l2 store.Store, opts Options) (*Store, error) {
	switch {
	case l1 == nil || l2 == nil:
		return nil, fmt.Errorf("%w: l1 and l2 must both be non-nil", ErrInvalidOptions)
	case l1 == l2:
		return nil, fmt.Errorf("%w: l1 and l2 are the same Store", ErrInvalidOptions)
	case opts.L1MaxTTL < 0:
		return nil, fmt.Errorf("%w: L1MaxTTL is %v; want > 0 (0 means %v)", ErrInvalidOptions, opts.L1MaxTTL, DefaultL1MaxTTL)
	case opts.L2Timeout < 0:
		return nil, fmt.Errorf("%w: L2Timeout is %v; want >= 0 (0 means L2's own timeouts)", ErrInvalidOptions, opts.L2Timeout)
	case opts.L1FailSafe < 0:
		return nil, fmt.Errorf("%w: L1FailSafe is %v; want >= 0 (0 turns the L1 fail-safe off)", ErrInvalidOptions, opts.L1FailSafe)
	}
	if opts.L1MaxTTL == 0 {
		opts.L1MaxTTL = DefaultL1MaxTTL
	}
	if opts.Channel == "" {
		opts.Channel = DefaultChannel
	}
	s := &Store{l1: l1, l2: l2, opts: opts, ready: make(chan struct{})}
	s.fresh, _ = l1.(freshReader)
	s.g.init()
	if st, err := l1.Stats(context.Background()); err == nil && st.Hits > 0 {
		s.l1HitsBase = st.Hits
	}
	on, err := s.resolveInvalidation()
	if err != nil {
		return nil, err
	}
	if !on {
		close(s.ready)
		return s, nil
	}
	_, _ = rand.Read(s.id[:]) // crypto/rand.Read never fails (Go 1.24+)
	timeout := opts.L2Timeout
	if timeout == 0 {
		timeout = defaultPublishTimeout
	}
	s.pub = newPublisher(s.bc, opts.Channel, s.id, timeout, &s.c)
	var ctx context.Context
	ctx, s.subCancel = context.WithCancel(context.Background())
	s.subDone = make(chan struct{})
	if s.tracker != nil {
		s.rf = newRefiller()
		go s.refillLoop(ctx)
	}
	go s.runInvalidation(ctx)
	return s, nil
}

// Ready waits until cross-instance invalidation is live: tracking is armed, or the first subscription
// has been confirmed, by L2 (and L1 flushed if it was filled before). It returns nil at once when invalidation is off, and
// ctx's error if ctx ends first. Until then the Store works, but L1 entries are guarded only by
// L1MaxTTL and the flush that follows the confirmation.
func (s *Store) Ready(ctx context.Context) error {
	select {
	case <-s.ready:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Invalidating reports whether cross-instance invalidation is on: L2 is a store.Tracker or a
// store.Broadcaster (as Options.Invalidation allows) and Options.DisableInvalidation is false.
func (s *Store) Invalidating() bool { return s.bc != nil }

// Close stops invalidation (publishing what is queued, bounded by the publish timeout) and closes L1
// and L2. It is idempotent: later calls return nil, and every other method then fails with an error
// wrapping store.ErrClosed.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		if s.bc != nil {
			s.subCancel()
			<-s.subDone
			if s.rf != nil {
				<-s.rf.done // its L2 reads end before L2 is closed
			}
			s.w.close()
			s.pub.close()
		}
		err = errors.Join(s.l1.Close(), s.l2.Close())
		if err != nil {
			err = opErr("close", "", err)
		}
	})
	return err
}

// opErr returns an *store.OpError of this backend.
func opErr(op, key string, err error) error {
	return &store.OpError{Op: op, Key: key, Backend: backendName, Err: err}
}

// noCancel is the CancelFunc of a context that l2ctx did not derive.
func noCancel() {}

// l2ctx applies Options.L2Timeout to a keyed L2 call.
func (s *Store) l2ctx(ctx context.Context) (context.Context, context.CancelFunc) {
	if s.opts.L2Timeout <= 0 {
		return ctx, noCancel
	}
	return context.WithTimeout(ctx, s.opts.L2Timeout)
}

// l2Err wraps an L2 error. An L2 call cut short by Options.L2Timeout while the caller's ctx is still live
// becomes store.ErrUnavailable (deliberately not unwrapping to context.DeadlineExceeded, which would read
// as the caller's own deadline).
func (s *Store) l2Err(ctx context.Context, op, key string, err error) error {
	if s.opts.L2Timeout > 0 && !callerDone(ctx) && errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("%w: L2 did not answer within L2Timeout %v (%v)", store.ErrUnavailable, s.opts.L2Timeout, err)
	}
	return opErr(op, key, err)
}

// callerDone reports whether the caller's ctx has ended, or has reached its deadline: an L2 client that
// sets socket deadlines from ctx's deadline may report it a moment before ctx's own timer fires.
func callerDone(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && !time.Now().Before(dl)
}

// mayHaveWritten reports whether a failed L2 write may nevertheless have changed L2 (its outcome is
// unknown: a timeout after the command was sent, which Redis may still apply), so that L1 must drop the
// key and other instances must hear about it. Refusals before any I/O cannot have. An open circuit
// breaker (store.ErrCircuitOpen) sent nothing either, but is treated as unknown all the same: a
// multi-key write's error may join it with a timeout of another node, and dropping is always safe.
func mayHaveWritten(err error) bool {
	return !errors.Is(err, store.ErrInvalidKey) && !errors.Is(err, store.ErrInvalidTTL) &&
		!errors.Is(err, store.ErrClosed) && !errors.Is(err, store.ErrNotStored)
}
