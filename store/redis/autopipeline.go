package redis

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// autoPipeliner returns the client's deferred (async) auto-pipeliner, the face whose futures can be
// awaited with a context (AutoFuture.WaitContext). The blocking face (Client.AutoPipeline) waits with
// no regard for the caller's context once a command is queued, so it cannot honour cancellation
// without a goroutine per call. go-redis caches one instance per client and face: the first getter's
// configuration wins (the client's AutoPipelineOptions, else go-redis' ordered default), and closing
// the client closes it.
func autoPipeliner(client goredis.UniversalClient) (*goredis.AutoPipeliner, error) {
	var (
		ap  *goredis.AutoPipeliner
		err error
	)
	switch c := client.(type) {
	case *goredis.Client:
		ap, err = c.AsyncAutoPipeline()
	case *goredis.ClusterClient:
		ap, err = c.AsyncAutoPipeline()
	default:
		return nil, fmt.Errorf("redis: AutoPipeline: unsupported client type %T", client)
	}
	if err != nil {
		return nil, fmt.Errorf("redis: AutoPipeline: %w", bareError{err})
	}
	return ap, nil
}

// PipelineMode chooses how a Store sends its single-key commands (Get, GetWithTTL, Set, Add, TTL, and
// Delete of one key); the other calls are unchanged by it. See the package documentation, "Pipelining".
type PipelineMode int

const (
	// PipelineAdaptive, the default (the zero value), sends a command straight to the client while no
	// other command of the Store is in flight, and through the client's auto-pipeliner while some are:
	// a lone caller pays no hand-off between goroutines, concurrent callers share pipelines. While an
	// endpoint is failing (a breaker open or half-open) commands go straight to the client, as with
	// PipelineOff. See the package documentation, "Pipelining".
	PipelineAdaptive PipelineMode = iota
	// PipelineOff sends every command straight to the client, one round trip per command.
	PipelineOff
	// PipelineAlways sends every single-key command through the auto-pipeliner (Options.AutoPipeline).
	PipelineAlways
)

// String returns the mode's URL spelling: "adaptive", "always" or "off".
func (m PipelineMode) String() string {
	switch m {
	case PipelineAdaptive:
		return "adaptive"
	case PipelineAlways:
		return "always"
	case PipelineOff:
		return "off"
	}
	return fmt.Sprintf("PipelineMode(%d)", int(m))
}

// pipelineMode resolves Options.Pipeline and Options.AutoPipeline, which must not disagree.
func pipelineMode(opts Options) (PipelineMode, error) {
	switch m := opts.Pipeline; {
	case m < PipelineAdaptive || m > PipelineAlways:
		return 0, fmt.Errorf("redis: unknown Pipeline mode %d", int(m))
	case opts.AutoPipeline && m == PipelineOff:
		return 0, errors.New("redis: AutoPipeline (always) and Pipeline=PipelineOff disagree; set one of them")
	case opts.AutoPipeline:
		return PipelineAlways, nil
	default:
		return m, nil
	}
}

// adaptive is the state of PipelineAdaptive: how many single-key calls of the Store are in flight. The
// counter every call touches is padded, so it shares no cache line with the Store's other fields.
type adaptive struct {
	_        [64]byte
	inflight atomic.Int64
	_        [56]byte
}

// enter counts a call in flight and reports whether it takes the direct path: when no other call of
// the Store is in flight, and also while some endpoint is failing (bs.troubled: a breaker is open or
// half-open). Queued behind a batch that cannot complete, a call would wait out its whole budget
// before anyone looks at the breaker; sent directly, an open breaker refuses it at once, and every
// call gets its own connection and timeout, as with PipelineOff. The exception is a key with a write
// abandoned on the auto-pipeliner (queued): its calls keep to that ordered stream, behind it. Each
// call counted is ended by leave or Store.abandon.
func (a *adaptive) enter(bs *breakerSet, queued *queuedWrites, cmd goredis.Cmder) bool {
	if a.inflight.Add(1) == 1 {
		return true
	}
	return bs.troubled() && !writeQueued(queued, cmd)
}

// writeQueued reports whether cmd's key has an abandoned write still queued (a command without a
// string key is taken to have one).
func writeQueued(queued *queuedWrites, cmd goredis.Cmder) bool {
	if !queued.pending() {
		return false
	}
	key, ok := cmdKey(cmd)
	return !ok || queued.has(key)
}

// leave ends a call whose commands have all completed. A nil a (PipelineAlways) is a no-op.
func (a *adaptive) leave() {
	if a != nil {
		a.inflight.Add(-1)
	}
}

// abandon ends a call whose context ended while its commands were still queued on the auto-pipeliner.
// In PipelineAdaptive it stays counted until they complete, so the caller's next calls keep to the
// ordered stream, behind them, instead of overtaking them on the direct path. A write is also tracked
// by key (s.queued) until it completes, in every mode, for the writes that go around the auto-pipeliner.
// The goroutine lives no longer than their batch.
func (s *Store) abandon(write goredis.Cmder, futures ...goredis.AutoFuture) {
	var completed func()
	if write != nil {
		if key, ok := cmdKey(write); ok {
			completed = s.queued.add(key)
		}
	}
	if completed == nil && s.adapt == nil {
		return
	}
	go func() {
		for _, f := range futures {
			_ = f.Wait()
		}
		if completed != nil {
			completed()
		}
		s.adapt.leave()
	}()
}

// queuedTimeout reports a pipelined call that ran out of its budget (not one cancelled by its caller)
// to the breaker of the endpoint its key lives on (see breakerSet.queuedTimeout).
func (s *Store) queuedTimeout(ctx context.Context, cmd goredis.Cmder) {
	if s.breakers == nil || errors.Is(ctx.Err(), context.Canceled) {
		return
	}
	addr := ""
	if s.cluster != nil {
		key, ok := cmdKey(cmd)
		if !ok {
			return
		}
		node, err := s.cluster.MasterForKey(context.WithoutCancel(ctx), key)
		if err != nil {
			return
		}
		addr = node.Options().Addr
	}
	s.breakers.queuedTimeout(s.breakers.lookup(addr))
}

// cmdKey returns the key of a single-key command (its first argument).
func cmdKey(cmd goredis.Cmder) (string, bool) {
	args := cmd.Args()
	if len(args) < 2 {
		return "", false
	}
	key, ok := args[1].(string)
	return key, ok
}

// isWrite reports whether cmd is one of the single-key writes sent through do (SET, with or without NX,
// and UNLINK).
func isWrite(cmd goredis.Cmder) bool {
	switch cmd.Name() {
	case "set", "unlink", "del":
		return true
	}
	return false
}

// do runs one single-key command as Options.Pipeline says: straight to the client (what go-redis' typed
// methods do), or on the auto-pipeliner. The auto-pipeliner executes a queued command on its own
// context, so the wait is bounded here instead: when ctx ends first, do returns ctx's error at once
// while the command may still execute later. Callers read cmd only after a nil or redis.Nil result
// (both mean it completed); after any other error it may belong to the dispatcher. Both paths run
// through the client's hooks (the breakers) and within ctx (the call's budget).
func (s *Store) do(ctx context.Context, cmd goredis.Cmder) error {
	if s.ap == nil {
		return s.client.Process(ctx, cmd)
	}
	a := s.adapt
	if a != nil && a.enter(s.breakers, s.queued, cmd) {
		err := s.client.Process(ctx, cmd)
		a.leave()
		return err
	}
	f := s.ap.Submit(ctx, cmd)
	err := f.WaitContext(ctx)
	if err != nil && ctxDone(ctx) {
		s.queuedTimeout(ctx, cmd)
		var write goredis.Cmder
		if isWrite(cmd) {
			write = cmd
		}
		s.abandon(write, f)
	} else {
		a.leave()
	}
	return err
}

// setArgs builds SET key value PX|EX ttl [NX] exactly as go-redis' Set and SetNX do: EX for whole
// seconds, PX otherwise (ttl is already a positive whole number of milliseconds, see checkTTL).
func setArgs(key string, value []byte, ttl time.Duration, nx bool) []any {
	n := 5
	if nx {
		n = 6
	}
	args := make([]any, n) // exact size: one allocation, no larger than go-redis' own
	args[0], args[1], args[2] = "set", key, value
	if ttl%time.Second == 0 {
		args[3], args[4] = "ex", int64(ttl/time.Second)
	} else {
		args[3], args[4] = "px", int64(ttl/time.Millisecond)
	}
	if nx {
		args[5] = "nx"
	}
	return args
}

// getWithTTLAuto queues GET and PTTL back to back on the auto-pipeliner, so they normally share one
// batch (one round trip); like the plain path's pipeline they are not atomic. Its error is what
// Pipelined would report (the first command error, redis.Nil for a miss) or, once ctx has ended, ctx's
// error (never redis.Nil); then neither command may be read, as both may still be in flight. In
// PipelineAdaptive a call with no other in flight sends them as the plain path does, in one pipeline.
func (s *Store) getWithTTLAuto(ctx context.Context, key string) (get *goredis.StringCmd, pttl *goredis.DurationCmd, err error) {
	get = goredis.NewStringCmd(ctx, "get", key)
	pttl = goredis.NewDurationCmd(ctx, time.Millisecond, "pttl", key)
	a := s.adapt
	if a != nil && a.enter(s.breakers, s.queued, get) {
		defer a.leave()
		_, err = s.client.Pipelined(ctx, func(p goredis.Pipeliner) error {
			_ = p.Process(ctx, get)
			_ = p.Process(ctx, pttl)
			return nil
		})
		return get, pttl, err
	}
	getF, pttlF := s.ap.Submit(ctx, get), s.ap.Submit(ctx, pttl)
	err = getF.WaitContext(ctx)
	if err != nil && ctxDone(ctx) {
		s.queuedTimeout(ctx, get)
		s.abandon(nil, getF, pttlF)
		return nil, nil, ctxErr(ctx)
	}
	errTTL := pttlF.WaitContext(ctx)
	if errTTL != nil && ctxDone(ctx) {
		s.abandon(nil, pttlF)
		return nil, nil, ctxErr(ctx)
	}
	a.leave()
	if err == nil {
		err = errTTL
	}
	return get, pttl, err
}

// setPipeline obtains what mode needs: the client's auto-pipeliner (PipelineAlways, PipelineAdaptive)
// and the in-flight counter (PipelineAdaptive). Adaptive falls back to the direct path
// on a client already closed, where every call fails with store.ErrClosed anyway, so that New keeps
// accepting such a client as it always has; any other refusal is an error.
func (s *Store) setPipeline(mode PipelineMode) error {
	if mode == PipelineOff {
		return nil
	}
	ap, err := autoPipeliner(s.client)
	switch {
	case err != nil && mode == PipelineAdaptive && errors.Is(err, goredis.ErrClosed):
		return nil
	case err != nil:
		return err
	}
	s.ap, s.queued = ap, &queuedWrites{}
	if mode == PipelineAdaptive {
		s.adapt = &adaptive{}
	}
	return nil
}
