package redis

import (
	"context"
	"fmt"
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

// do runs one single-key command: on the auto-pipeliner when Options.AutoPipeline is on, else as a
// plain command on the client (what go-redis' typed methods do). The auto-pipeliner executes a queued
// command on its own context, so the wait is bounded here instead: when ctx ends first, do returns
// ctx's error at once while the command may still execute later. Callers read cmd only after a nil or
// redis.Nil result (both mean it completed); after any other error it may belong to the dispatcher.
func (s *Store) do(ctx context.Context, cmd goredis.Cmder) error {
	if s.ap == nil {
		return s.client.Process(ctx, cmd)
	}
	return s.ap.Submit(ctx, cmd).WaitContext(ctx)
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
// error (never redis.Nil); then neither command may be read, as both may still be in flight.
func (s *Store) getWithTTLAuto(ctx context.Context, key string) (*goredis.StringCmd, *goredis.DurationCmd, error) {
	get := goredis.NewStringCmd(ctx, "get", key)
	pttl := goredis.NewDurationCmd(ctx, time.Millisecond, "pttl", key)
	getF, pttlF := s.ap.Submit(ctx, get), s.ap.Submit(ctx, pttl)
	err := getF.WaitContext(ctx)
	if err != nil && ctxDone(ctx) {
		return nil, nil, ctxErr(ctx)
	}
	errTTL := pttlF.WaitContext(ctx)
	if errTTL != nil && ctxDone(ctx) {
		return nil, nil, ctxErr(ctx)
	}
	if err == nil {
		err = errTTL
	}
	return get, pttl, err
}
