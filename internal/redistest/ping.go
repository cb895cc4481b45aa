package redistest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// startTimeout bounds how long any single server may take to answer PING after it was started.
const startTimeout = 15 * time.Second

// errExited reports that a server process ended while we waited for it to answer.
var errExited = errors.New("server process exited")

// adminClient returns a one-connection client for setup commands: no retries (a failure must show, not be
// hidden behind go-redis's ~1.7 s of retrying) and short timeouts.
func adminClient(addr string) *redis.Client { return redis.NewClient(adminOptions(addr)) }

// adminOptions are adminClient's options.
func adminOptions(addr string) *redis.Options {
	return &redis.Options{
		Addr:            addr,
		Protocol:        2,
		DisableIdentity: true,
		MaxRetries:      -1,
		DialerRetries:   1,
		DialTimeout:     time.Second,
		ReadTimeout:     5 * time.Second,
		WriteTimeout:    5 * time.Second,
		PoolSize:        1,
	}
}

// waitPing polls addr with PING until it answers PONG, exited is closed (nil: never), or timeout passes.
// It speaks RESP itself rather than through go-redis, whose pool logs every refused dial while a server
// is still starting.
func waitPing(addr string, exited <-chan struct{}, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return poll(ctx, exited, func(ctx context.Context) error { return ping(ctx, addr) })
}

// ping sends one PING on a new connection and expects +PONG.
func ping(ctx context.Context, addr string) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if line = strings.TrimSpace(line); line != "+PONG" {
		return fmt.Errorf("PING answered %q", line) // -LOADING while a dataset loads, for example
	}
	return nil
}

// poll calls check every 20 ms until it returns nil, exited is closed, or ctx is done; the error then
// includes check's last error.
func poll(ctx context.Context, exited <-chan struct{}, check func(context.Context) error) error {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		if last = check(ctx); last == nil {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("%w (last error: %v)", errExited, last)
		case <-ctx.Done():
			return fmt.Errorf("%w (last error: %v)", ctx.Err(), last)
		case <-tick.C:
		}
	}
}
