package redis

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachekit/cachekit/store"
)

// backendName is the OpError.Backend and Stats.Backend of this package.
const backendName = "redis"

// UnavailableError is the cause inside an *store.OpError when Redis could not be reached or did not answer
// in time. It matches store.ErrUnavailable with errors.Is, and its message names the address that failed
// (never credentials). The go-redis error is kept in Cause for diagnostics but deliberately not unwrapped:
// an internal dial timeout must not look like the caller's own context.DeadlineExceeded.
type UnavailableError struct {
	Addr  string // the node address that failed, or the configured endpoint when unknown
	Cause error  // the go-redis / network error
}

// Error names the address and the cause.
func (e *UnavailableError) Error() string {
	return fmt.Sprintf("%v: redis at %s: %s", store.ErrUnavailable, e.Addr, causeText(e.Cause))
}

// Unwrap returns store.ErrUnavailable.
func (e *UnavailableError) Unwrap() error { return store.ErrUnavailable }

// DeniedError is the cause inside an *store.OpError when Redis refused authentication (WRONGPASS, NOAUTH:
// a wrong or missing password, on connecting or on a command) or permission (NOPERM: an ACL user lacking
// the command or key). It matches store.ErrDenied with errors.Is, and its message names the address and
// Redis's reply, which never contains the password. Cause keeps the go-redis error, not unwrapped.
type DeniedError struct {
	Addr  string // the node address that refused, or the configured endpoint when unknown
	Cause error  // the go-redis error carrying Redis's reply
}

// Error names the address and Redis's reply.
func (e *DeniedError) Error() string {
	return fmt.Sprintf("%v: redis at %s: %s", store.ErrDenied, e.Addr, causeText(e.Cause))
}

// Unwrap returns store.ErrDenied.
func (e *DeniedError) Unwrap() error { return store.ErrDenied }

// causeText is a go-redis error's text without go-redis' own "redis: " prefix, for messages that already
// say "redis" (so none reads "redis: redis: ...").
func causeText(err error) string {
	return trimRedisPrefix(err.Error())
}

// trimRedisPrefix removes every leading "redis: " from a go-redis message.
func trimRedisPrefix(msg string) string {
	for strings.HasPrefix(msg, "redis: ") {
		msg = msg[len("redis: "):]
	}
	return msg
}

// bareError shows a go-redis error without its "redis: " prefix and unwraps to it, for wrapping with %w
// under a message that already starts with "redis: ".
type bareError struct{ err error }

func (e bareError) Error() string { return causeText(e.err) }
func (e bareError) Unwrap() error { return e.err }

// nodeError ties a failure to the node it happened on (forEachNode's callers on a Cluster), so that
// classify can name that node rather than the configured endpoints. It is transparent otherwise.
type nodeError struct {
	addr string
	err  error
}

func (e *nodeError) Error() string { return e.err.Error() }
func (e *nodeError) Unwrap() error { return e.err }

// opErr wraps a go-redis error (never nil) into an *store.OpError with the sentinel it means.
func (s *Store) opErr(ctx context.Context, op, key string, err error) error {
	return &store.OpError{Op: op, Key: key, Backend: backendName, Err: s.classify(ctx, err)}
}

// classify maps a go-redis error to a store sentinel (or a context error), keeping the original text.
func (s *Store) classify(ctx context.Context, err error) error {
	switch {
	case errors.Is(err, goredis.Nil):
		return store.ErrNotFound
	case ctxDone(ctx):
		// The caller's context ended: report that, whatever the network layer said.
		return ctxErr(ctx)
	case s.closed.Load(), errors.Is(err, goredis.ErrClosed):
		// Close ran while the call was in flight (its connection was closed under it), or a caller closed
		// the client it gave to New.
		return fmt.Errorf("%w: %s", store.ErrClosed, causeText(err))
	case errors.As(err, new(*CircuitOpenError)):
		// The breaker skipped the call: it names its endpoint, and matches ErrCircuitOpen and ErrUnavailable.
		var coe *CircuitOpenError
		errors.As(err, &coe)
		return coe
	case errors.As(err, new(*UnavailableError)):
		// The breaker refused a retry whose earlier attempt may have run (see refusal).
		var ue *UnavailableError
		errors.As(err, &ue)
		return ue
	case goredis.IsOOMError(err):
		// maxmemory reached under noeviction: the write was refused, the closest sentinel is ErrNotStored.
		return fmt.Errorf("%w: %s", store.ErrNotStored, causeText(err))
	case isDenied(err):
		return &DeniedError{Addr: s.failedAddr(err), Cause: err}
	case isUnavailable(err):
		return &UnavailableError{Addr: s.failedAddr(err), Cause: err}
	}
	return err
}

// isDenied reports whether err is Redis refusing authentication (WRONGPASS, NOAUTH, "unauthenticated"
// after a password change; on connecting, when go-redis sends AUTH or HELLO, or on a command) or
// permission (NOPERM).
func isDenied(err error) bool {
	return goredis.IsAuthError(err) || goredis.IsPermissionError(err)
}

// ctxDone reports whether ctx is cancelled or past its deadline (the deadline check covers the moment
// between a socket deadline firing and the context's own timer).
func ctxDone(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && !time.Now().Before(dl)
}

// ctxErr is the error of a context that ctxDone reports done: its own error, or DeadlineExceeded in the
// moment before its timer has fired.
func ctxErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return context.DeadlineExceeded
}

// isUnavailable reports whether err means "Redis did not serve this call" rather than "Redis answered with
// an error about this call".
func isUnavailable(err error) bool {
	var netErr net.Error
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, goredis.ErrPoolTimeout), errors.Is(err, goredis.ErrPoolExhausted),
		// The auto-pipeliner's own backpressure: its queue is full, or a batch waited too long to run.
		errors.Is(err, goredis.ErrAutoPipelineQueueFull), errors.Is(err, goredis.ErrAutoPipelineTimeout),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, context.DeadlineExceeded), // an internal (dial) deadline; the caller's was checked first
		errors.As(err, &netErr):
		return true
	case goredis.IsLoadingError(err), goredis.IsClusterDownError(err), goredis.IsTryAgainError(err),
		goredis.IsMasterDownError(err), goredis.IsReadOnlyError(err):
		// The server is up but not serving writes or reads right now (restart, failover in progress).
		return true
	}
	// go-redis reports "no sentinel answers" with unwrapped errors.New values; there is no typed form.
	msg := err.Error()
	return strings.HasPrefix(msg, "redis: all sentinels") || strings.HasPrefix(msg, "redis: no sentinels")
}

// failedAddr names the address that failed: the network error's remote address when there is one (the
// actual node on a Cluster or behind Sentinel), else the store's configured endpoint.
func (s *Store) failedAddr(err error) string {
	var ne *nodeError
	if errors.As(err, &ne) && ne.addr != "" {
		return ne.addr
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Addr != nil {
		return opErr.Addr.String()
	}
	return s.endpoint
}
