package cachekit

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime/debug"

	"github.com/cachekit/cachekit/store"
)

// backendName marks errors raised by the Cache itself rather than by its store.
const backendName = "cachekit"

// ErrLoaderPanic means a loader (Fetch's, Warm's) panicked. The panic is recovered, the process lives,
// and every caller waiting on that load gets a *LoaderPanicError wrapping it. Nothing is cached.
var ErrLoaderPanic = errors.New("cachekit: loader panicked")

// LoaderPanicError is the error a panicking loader becomes. It matches ErrLoaderPanic, and the panic
// value too when that value is an error.
type LoaderPanicError struct {
	Key   string // the relative key being loaded (for a FetchMany batch, its keys, the list capped)
	Value any    // what the loader panicked with
	Stack []byte // the loader goroutine's stack at the panic
}

// Error names the key and the panic value (not the stack: print Stack yourself where it helps).
func (e *LoaderPanicError) Error() string {
	return fmt.Sprintf("cachekit: loader of %q panicked: %v", e.Key, e.Value)
}

// Unwrap returns ErrLoaderPanic, and the panic value when it is an error.
func (e *LoaderPanicError) Unwrap() []error {
	if err, ok := e.Value.(error); ok {
		return []error{ErrLoaderPanic, err}
	}
	return []error{ErrLoaderPanic}
}

// panicError is what a recovered panic of a caller's function (a loader, a source write) becomes; call
// it inside the deferred recover, so the stack is the panicking goroutine's.
func panicError(key string, r any) error {
	return &LoaderPanicError{Key: key, Value: r, Stack: debug.Stack()}
}

// keyError carries a keyspace validation error and matches ErrInvalidKey, without repeating
// "invalid key" in the message.
type keyError struct{ err error }

func (e *keyError) Error() string        { return e.err.Error() }
func (e *keyError) Unwrap() error        { return e.err }
func (e *keyError) Is(target error) bool { return target == store.ErrInvalidKey }

// mismatchError is a well-formed value that does not fit the caller's type.
type mismatchError struct {
	typ reflect.Type
	err error // wraps codec.ErrTypeMismatch
}

func (e *mismatchError) Error() string {
	return fmt.Sprintf("stored value does not fit %v (entry kept): %v", e.typ, e.err)
}
func (e *mismatchError) Unwrap() error { return e.err }

func opErr(op, key string, err error) error {
	return &store.OpError{Op: op, Key: key, Backend: backendName, Err: err}
}

func invalidKey(op, key string, err error) error {
	return opErr(op, key, &keyError{err})
}

// check enforces the rules shared by every call: not closed, context not done.
func (c *Cache) check(ctx context.Context, op, key string) error {
	if c.closed.Load() {
		return opErr(op, key, store.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return opErr(op, key, err)
	}
	return nil
}

// isMiss reports whether err is a miss (and nothing worse).
func isMiss(err error) bool { return errors.Is(err, store.ErrNotFound) }

// isCallerError reports whether err is the caller's doing (bad key or TTL, closed Cache) rather than a
// failure of the store: Fetch returns those, and serves the loader's value on anything else. Whether
// the caller's context ended is asked of that context, not of the error: a store call's own shorter
// deadline is a store failure.
func isCallerError(err error) bool {
	return errors.Is(err, store.ErrInvalidKey) || errors.Is(err, store.ErrInvalidTTL) ||
		errors.Is(err, store.ErrClosed)
}
