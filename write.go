package cachekit

import (
	"context"
	"errors"
	"time"

	"github.com/cachekit/cachekit/codec"
	"github.com/cachekit/cachekit/store"
)

// Set stores v under the relative key. ttl 0 means the configured TTL for the key's kind, else the
// default TTL (see TTLFor); a negative ttl is an error. Read-your-writes holds as the store guarantees
// it (an in-process store may refuse with ErrNotStored). A Fetch load of the key that finished earlier
// in this process never lands after Set: its pending write is dropped or waited for.
func (c *Cache) Set(ctx context.Context, key string, v any, ttl time.Duration) (err error) {
	defer c.observeWrite(OpSet, key, c.startTimer(), &err)
	full, ttl, data, err := c.prepareSet(ctx, "set", key, v, ttl)
	if err != nil {
		return err
	}
	if err := c.settleKeys(ctx, full); err != nil {
		return opErr("set", key, err)
	}
	return c.skipped(c.st.Set(ctx, full, data, ttl), 1)
}

// Add stores v under the relative key only if the key is absent, and reports whether it did.
func (c *Cache) Add(ctx context.Context, key string, v any, ttl time.Duration) (_ bool, err error) {
	defer c.observeWrite(OpSet, key, c.startTimer(), &err)
	full, ttl, data, err := c.prepareSet(ctx, "add", key, v, ttl)
	if err != nil {
		return false, err
	}
	if err := c.settleKeys(ctx, full); err != nil {
		return false, opErr("add", key, err)
	}
	added, err := c.st.Add(ctx, full, data, ttl)
	return added, c.skipped(err, 1)
}

// Entry is one value of a SetMany call. TTL follows Set's rules (0 = configured).
type Entry struct {
	Key   string
	Value any
	TTL   time.Duration
}

// SetMany encodes and stores every entry in one store call (one pipeline on Redis). Every key, TTL and
// value is checked and encoded before anything is stored, so invalid input stores nothing.
func (c *Cache) SetMany(ctx context.Context, entries []Entry) (err error) {
	if err := c.check(ctx, "set_many", ""); err != nil {
		return err
	}
	t := c.startTimer()
	defer func() {
		if o := c.observer(); o != nil {
			outcome := writeOutcome(err)
			for _, e := range entries {
				o.Count(OpSetMany, kindOf(e.Key), outcome, 1)
			}
		}
		t.stop(OpSetMany, "")
	}()
	items := make([]store.Item, len(entries))
	for i, e := range entries {
		full, ttl, data, err := c.prepareSet(ctx, "set_many", e.Key, e.Value, e.TTL)
		if err != nil {
			return err
		}
		items[i] = store.Item{Key: full, Value: data, TTL: ttl}
	}
	if len(items) == 0 {
		return nil
	}
	if !c.flights.idle() {
		full := make([]string, len(items))
		for i, it := range items {
			full[i] = it.Key
		}
		if err := c.settleKeys(ctx, full...); err != nil {
			return opErr("set_many", "", err)
		}
	}
	return c.skipped(c.st.SetMany(ctx, items), len(items))
}

// skipped counts n values not written because a circuit breaker was open (err is store.ErrCircuitOpen:
// not sent, so not applied) and returns err.
func (c *Cache) skipped(err error, n int) error {
	if err != nil && errors.Is(err, store.ErrCircuitOpen) {
		c.counts.writesSkipped.Add(int64(n))
	}
	return err
}

// observeWrite reports a write's outcome (and its time, when sampled) to the Observer, if any.
func (c *Cache) observeWrite(op Op, key string, t timer, err *error) {
	if o := c.observer(); o != nil {
		o.Count(op, kindOf(key), writeOutcome(*err), 1)
	}
	t.stop(op, key)
}

// writeOutcome is OutcomeOK for a write that succeeded, else OutcomeError.
func writeOutcome(err error) Outcome {
	if err != nil {
		return OutcomeError
	}
	return OutcomeOK
}

func (c *Cache) prepareSet(ctx context.Context, op, key string, v any, ttl time.Duration) (string, time.Duration, []byte, error) {
	if err := c.check(ctx, op, key); err != nil {
		return "", 0, nil, err
	}
	full, err := c.fullKey(op, key)
	if err != nil {
		return "", 0, nil, err
	}
	if ttl, err = c.resolveTTL(op, key, ttl); err != nil {
		return "", 0, nil, err
	}
	data, err := c.encode(op, key, v)
	if err != nil {
		return "", 0, nil, err
	}
	return full, ttl, data, nil
}

// encode encodes v with the configured codec (or as plain JSON).
func (c *Cache) encode(op, key string, v any) ([]byte, error) {
	return c.encodeMeta(op, key, v, codec.Meta{})
}

// encodeMeta encodes v with m's times in the envelope (plain JSON carries none).
func (c *Cache) encodeMeta(op, key string, v any, m codec.Meta) ([]byte, error) {
	var (
		data []byte
		err  error
	)
	if c.plainJSON {
		data, err = codec.EncodePlainJSON(v)
	} else {
		data, err = c.seal(key, v, m)
	}
	if err != nil {
		c.counts.encodeErrors.Add(1)
		return nil, opErr(op, key, err)
	}
	return data, nil
}
