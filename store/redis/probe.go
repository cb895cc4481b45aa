package redis

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"
)

// probeStaleAfter is how long the prober waits for the reply to one PING before it presumes the
// connection dead (a half-open TCP connection) and dials a new one. A paused server answers the PING
// it was sent as soon as it runs again, so one connection serves a whole pause.
const probeStaleAfter = time.Second

// prober checks whether an endpoint answers, for an open breaker. It keeps one connection of its own,
// dialed with the client's dialer but outside the client's pool (so go-redis' count of failed dials,
// which would throttle the pool's own dials to one a second, is never raised by probing), and at most
// one PING outstanding on it. A PING answered within replyTimeout of being sent proves the endpoint
// serves again; one answered later does not, and the next check sends a fresh one.
//
// The PING is sent inline and unauthenticated: any reply proves the server reads and answers
// (-NOAUTH included), except the replies of a server that is up but not serving (-LOADING, -BUSY,
// -MASTERDOWN, too many clients).
type prober struct {
	dial         func(ctx context.Context) (net.Conn, error)
	dialTimeout  time.Duration
	interval     time.Duration
	replyTimeout time.Duration

	conn    net.Conn
	buf     []byte
	sentAt  time.Time // zero when no PING is outstanding
	failed  bool      // the last check ended without hope for the outstanding PING
	lastErr error
}

// check makes one step: dial if needed, send a PING if none is outstanding, and wait up to one interval
// for its reply. It reports whether a reply arrived in time and says the server serves.
func (p *prober) check(ctx context.Context) bool {
	p.failed = false
	if ctx.Err() != nil {
		return false
	}
	if p.conn == nil {
		dctx, cancel := context.WithTimeout(ctx, p.dialTimeout)
		conn, err := p.dial(dctx)
		cancel()
		if err != nil {
			return p.fail(err, false)
		}
		p.conn, p.buf = conn, p.buf[:0]
	}
	now := time.Now()
	if p.sentAt.IsZero() {
		_ = p.conn.SetWriteDeadline(now.Add(p.replyTimeout))
		if _, err := p.conn.Write([]byte("PING\r\n")); err != nil {
			return p.fail(err, true)
		}
		p.sentAt = now
	}
	_ = p.conn.SetReadDeadline(now.Add(p.interval))
	var chunk [64]byte
	for {
		if i := bytes.Index(p.buf, []byte("\r\n")); i >= 0 {
			line := string(p.buf[:i])
			p.buf = append(p.buf[:0], p.buf[i+2:]...)
			late := time.Since(p.sentAt) > p.replyTimeout
			p.sentAt = time.Time{}
			switch {
			case !serving(line):
				return p.fail(fmt.Errorf("PING answered %q", line), false)
			case late:
				return p.fail(errors.New("PING answered too late"), false)
			}
			return true
		}
		n, err := p.conn.Read(chunk[:])
		p.buf = append(p.buf, chunk[:n]...)
		if n > 0 && err == nil {
			continue
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			waited := time.Since(p.sentAt)
			if waited > p.replyTimeout {
				p.failed, p.lastErr = true, fmt.Errorf("PING unanswered after %v", waited.Round(time.Millisecond))
			}
			if waited > max(probeStaleAfter, p.replyTimeout) {
				p.close()
			}
			return false
		}
		if err != nil {
			return p.fail(err, true)
		}
	}
}

// fail records a failed check; drop closes the connection (a network error broke it).
func (p *prober) fail(err error, drop bool) bool {
	p.failed, p.lastErr = true, err
	if drop {
		p.close()
	}
	return false
}

// close drops the probe connection.
func (p *prober) close() {
	if p.conn != nil {
		_ = p.conn.Close()
		p.conn, p.sentAt, p.buf = nil, time.Time{}, p.buf[:0]
	}
}

// serving reports whether a reply line to PING shows a server that serves commands.
func serving(line string) bool {
	if line == "" {
		return false
	}
	switch line[0] {
	case '+':
		return true
	case '-':
		for _, busy := range []string{"-LOADING", "-BUSY", "-MASTERDOWN", "-ERR max number of clients"} {
			if len(line) >= len(busy) && line[:len(busy)] == busy {
				return false
			}
		}
		return true // -NOAUTH and the like: it reads and answers
	}
	return false
}
