package redis

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachekit/cachekit/store"
)

// breakerHook is the go-redis hook that puts a breaker in front of one client (a single server, the
// Sentinel-managed master, or one Cluster node). It sits in the client's own hook chain, so it sees
// each call once, around go-redis' retries of it; on a Cluster, the cluster client's redirects and
// retries reach the node client again, and each attempt counts. Hooks added to a client run in the
// order added; commands go-redis sends to set up a connection (HELLO, AUTH, SELECT...) run inside the
// call that opened it and are not counted on their own (see nested).
type breakerHook struct{ b *breaker }

// nestKey marks a context as already inside this breaker's hook.
type nestKey struct{ b *breaker }

// nested reports whether ctx belongs to a call this hook already admitted: the handshake of a new
// connection runs through the same hook chain, and must neither count nor be refused on its own.
func (h breakerHook) nested(ctx context.Context) bool { return ctx.Value(nestKey(h)) != nil }

// ProcessHook admits or refuses one command.
func (h breakerHook) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		if h.nested(ctx) {
			return next(ctx, cmd)
		}
		gen, err := h.b.allow()
		if err != nil {
			return refusal(err, cmd) // Client.Process sets it on cmd
		}
		err = next(context.WithValue(ctx, nestKey(h), true), cmd)
		h.b.record(gen, judgeCall(ctx, err, h.b), err)
		return err
	}
}

// ProcessPipelineHook admits or refuses a pipeline (and a transaction) as a whole.
func (h breakerHook) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		if h.nested(ctx) {
			return next(ctx, cmds)
		}
		gen, err := h.b.allow()
		if err != nil {
			for _, c := range cmds {
				c.SetErr(refusal(err, c))
			}
			return err
		}
		err = next(context.WithValue(ctx, nestKey(h), true), cmds)
		h.b.record(gen, judgeCall(ctx, err, h.b), err)
		return err
	}
}

// refusal is the error of a command the breaker refused: open, the breaker's *CircuitOpenError ("not
// sent, not applied"), unless cmd is being retried after an attempt whose outcome is unknown. Only the
// Cluster client retries through a node's hooks (a single client retries inside them): a command whose
// first attempt timed out on a master that then tripped its breaker is refused on the retry, yet Redis
// may have run the first attempt, or may run it when it resumes. Such a command gets an
// *UnavailableError instead, which says its outcome is unknown. go-redis leaves the failed attempt's
// error on the command, which is how the retry is told apart from a first attempt.
func refusal(open error, cmd goredis.Cmder) error {
	prior := cmd.Err()
	if prior == nil || errors.Is(prior, goredis.Nil) || errors.Is(prior, store.ErrCircuitOpen) || isReply(prior) || isDialError(prior) {
		return open // never sent, or answered: nothing of it can land later
	}
	var coe *CircuitOpenError
	addr := ""
	if errors.As(open, &coe) {
		addr = coe.Endpoint
	}
	return &UnavailableError{Addr: addr, Cause: fmt.Errorf("%v; an earlier attempt (%v) may have been applied", open, causeText(prior))}
}

// isDialError reports whether err is a failed dial: the command never left this process.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// DialHook works around go-redis' own dial breaker. In v9.23 a pool that has seen PoolSize failed dials
// (in total, successes do not reset the count) fails every later dial at once with the last error and
// lets one background dial per second decide when to dial again: a Redis that restarts is then
// ignored for up to a second after it answers. So a failed dial is handed to the pool as a connection
// whose every read and write fails with the dial's error: the pool never counts a failure, the call
// fails with that error as before (and go-redis retries it as a dial error), and the breaker, which
// stops calls (and so dials) while the endpoint is down, limits the dial rate instead.
func (h breakerHook) DialHook(next goredis.DialHook) goredis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := next(ctx, network, addr)
		if err != nil {
			return &failedConn{err: dialError{err}, addr: fakeAddr{network, addr}}, nil
		}
		abortOnClose(conn)
		return conn, nil
	}
}

// abortOnClose makes closing conn discard whatever the kernel has not delivered yet (SO_LINGER 0: a
// reset instead of an orderly close). go-redis closes a connection whose reply timed out before it
// retries; without this, the kernel would keep retransmitting the timed-out command, which could then
// reach Redis after the retry or after a later write sent on another connection, and make an older
// value land last (seen under 30% packet loss in the chaos suite). A command Redis has received is
// unaffected: it was applied before the timeout, in order.
func abortOnClose(conn net.Conn) {
	if inner, ok := conn.(interface{ NetConn() net.Conn }); ok { // a *tls.Conn
		conn = inner.NetConn()
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
}

// dialError carries a dial's error through go-redis' connection set-up, which unwraps the handshake's
// error once: what the caller then sees is the dial's error itself (a *net.OpError with Op "dial",
// which go-redis retries and classify names by address).
type dialError struct{ err error }

func (e dialError) Error() string { return e.err.Error() }
func (e dialError) Unwrap() error { return e.err }

// failedConn is a connection that was never established: reads and writes fail with the dial's error.
type failedConn struct {
	err  error
	addr net.Addr
}

func (c *failedConn) Read([]byte) (int, error)         { return 0, c.err }
func (c *failedConn) Write([]byte) (int, error)        { return 0, c.err }
func (c *failedConn) Close() error                     { return nil }
func (c *failedConn) LocalAddr() net.Addr              { return fakeAddr{} }
func (c *failedConn) RemoteAddr() net.Addr             { return c.addr }
func (c *failedConn) SetDeadline(time.Time) error      { return nil }
func (c *failedConn) SetReadDeadline(time.Time) error  { return nil }
func (c *failedConn) SetWriteDeadline(time.Time) error { return nil }

// fakeAddr is the address of a failedConn.
type fakeAddr struct{ network, addr string }

func (a fakeAddr) Network() string { return a.network }
func (a fakeAddr) String() string  { return a.addr }
