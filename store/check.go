package store

import (
	"context"
	"fmt"
	"reflect"
	"time"
)

// CheckCall is the guard every backend runs at the start of every call, before it touches anything: an
// *OpError{Backend: backend, Op: op, Key: key} wrapping ErrClosed when closed is true, else one wrapping
// ctx's error when ctx is done, else nil, without allocating. key is the call's key or pattern, or "".
// (Keys themselves are CheckKey's business.)
func CheckCall(ctx context.Context, closed bool, backend, op, key string) error {
	if closed {
		return &OpError{Op: op, Key: key, Backend: backend, Err: ErrClosed}
	}
	if err := ctx.Err(); err != nil {
		return &OpError{Op: op, Key: key, Backend: backend, Err: err}
	}
	return nil
}

// CheckTTL is the TTL rule of Set, SetMany and Add: ttl <= 0 is refused with an *OpError wrapping
// ErrInvalidTTL that names the TTL; a positive ttl gives nil, without allocating.
func CheckTTL(backend, op, key string, ttl time.Duration) error {
	if ttl <= 0 {
		return &OpError{Op: op, Key: key, Backend: backend, Err: fmt.Errorf("%w: ttl %v is not positive", ErrInvalidTTL, ttl)}
	}
	return nil
}

// CheckDecoder is the Decoder rule of DecodedCache.GetDecoded: a nil Decoder, or one whose dynamic type
// cannot be compared with == (a kept form is found by comparing Decoders), is an error naming its type,
// never a panic. It returns the bare cause; the caller wraps it in its *OpError.
func CheckDecoder(d Decoder) error {
	if d == nil || !reflect.ValueOf(d).Comparable() {
		return fmt.Errorf("GetDecoded: Decoder %T is nil or not comparable", d)
	}
	return nil
}

// CheckVersioned is the argument rule of VersionedSetter.SetIfNewer: the key, a positive ttl, and a
// value carrying a version.
func CheckVersioned(backend, op, key string, value []byte, ttl time.Duration) error {
	if err := CheckKey(backend, op, key); err != nil {
		return err
	}
	if err := CheckTTL(backend, op, key, ttl); err != nil {
		return err
	}
	if _, ok := ValueVersion(value); !ok {
		return &OpError{Op: op, Key: key, Backend: backend, Err: fmt.Errorf("%w: a versioned write of a value whose envelope carries no version", ErrInvalidValue)}
	}
	return nil
}
