package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cachekit/cachekit/store"
)

// TestCheckCall: closed wins over a done context, a done context is reported as its own error, and the
// open, live case costs no allocation; every refusal is an *OpError naming backend, op and key.
func TestCheckCall(t *testing.T) {
	ctx := context.Background()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	cases := []struct {
		ctx    context.Context
		closed bool
		want   error
	}{
		{ctx, false, nil},
		{ctx, true, store.ErrClosed},
		{cancelled, false, context.Canceled},
		{cancelled, true, store.ErrClosed},
	}
	for _, c := range cases {
		err := store.CheckCall(c.ctx, c.closed, "memory", "scan", "p*")
		if c.want == nil {
			if err != nil {
				t.Errorf("CheckCall(closed=%v): %v, want nil", c.closed, err)
			}
			continue
		}
		var op *store.OpError
		if !errors.Is(err, c.want) || !errors.As(err, &op) || op.Backend != "memory" || op.Op != "scan" || op.Key != "p*" {
			t.Errorf("CheckCall(closed=%v, ctx err %v): %v, want an *OpError{memory scan p*} wrapping %v", c.closed, c.ctx.Err(), err, c.want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = store.CheckCall(ctx, false, "memory", "get", "k") }); n != 0 {
		t.Errorf("CheckCall on the fast path allocates %v times, want 0", n)
	}
}

// TestCheckTTL: a positive TTL passes without allocating; zero and negative ones are ErrInvalidTTL.
func TestCheckTTL(t *testing.T) {
	for _, ttl := range []time.Duration{0, -time.Second} {
		if err := store.CheckTTL("redis", "set", "k", ttl); !errors.Is(err, store.ErrInvalidTTL) {
			t.Errorf("CheckTTL(%v): %v, want ErrInvalidTTL", ttl, err)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = store.CheckTTL("redis", "set", "k", time.Nanosecond) }); n != 0 {
		t.Errorf("CheckTTL of a positive TTL allocates %v times, want 0", n)
	}
}

// sliceDecoder's type cannot be compared with == (a slice field); anyDecoder's can, unless it holds an
// uncomparable value.
type sliceDecoder []string

func (sliceDecoder) DecodeValue(v []byte) (any, error) { return string(v), nil }

type anyDecoder struct{ x any }

func (anyDecoder) DecodeValue(v []byte) (any, error) { return string(v), nil }

// TestCheckDecoder: nil and uncomparable Decoders are errors, never panics; comparable ones pass.
func TestCheckDecoder(t *testing.T) {
	for _, d := range []store.Decoder{nil, sliceDecoder{"x"}, anyDecoder{[]int{1}}} {
		if err := store.CheckDecoder(d); err == nil {
			t.Errorf("CheckDecoder(%T): nil, want an error", d)
		}
	}
	for _, d := range []store.Decoder{anyDecoder{1}, anyDecoder{}} {
		if err := store.CheckDecoder(d); err != nil {
			t.Errorf("CheckDecoder(%T %v): %v, want nil", d, d, err)
		}
	}
}
