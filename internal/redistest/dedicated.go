package redistest

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"
)

// waysDedicated names what Dedicated can use.
const waysDedicated = "a redis-server binary on PATH, or a Docker engine (image " + EnvImage + ", default " + DefaultImage + ")"

// Controlled is a Redis server owned by one test, which may stop and restart it (outage tests). Its
// methods are safe for concurrent use.
type Controlled struct {
	Server

	mu      sync.Mutex
	proc    *proc           // set when Source is SourceProcess
	ctr     *redisContainer // set when Source is SourceContainer
	release func()          // frees the port held while a process is stopped; nil while running
	stopped bool
	paused  bool // Pause froze it; Resume thaws it
	// password is what RequirePass set: Do authenticates with it, Start sets it again.
	password string
	stop     func() // removes everything, once
}

// Dedicated starts a new server owned by this test alone (never the EnvURL one, never shared) and removes
// it in t.Cleanup. It is a redis-server process when the binary is on PATH, since a process gives the exact
// outage Stop promises; otherwise a container on a fixed loopback port. With neither, the test is skipped
// (fails when EnvRequire is true).
func Dedicated(t testing.TB) *Controlled {
	t.Helper()
	began := time.Now()
	c, err := startDedicated()
	if err != nil {
		fail(t, "Dedicated", waysDedicated, err)
	}
	t.Cleanup(c.stop)
	t.Logf("redistest: dedicated Redis (%s) at %s (up in %v)", c.Source, c.Addr, time.Since(began).Round(time.Millisecond))
	return c
}

func startDedicated() (*Controlled, error) {
	p, dir, perr := startPlainProc()
	if perr == nil {
		c := &Controlled{Server: Server{Addr: p.addr(), URL: redisURL(p.addr()), Source: SourceProcess}, proc: p}
		c.stop = track(func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			p.kill()
			if c.release != nil {
				c.release()
			}
			os.RemoveAll(dir)
		})
		return c, nil
	}
	var un *unavailableError
	if !errors.As(perr, &un) {
		return nil, perr
	}

	image, err := containerImage()
	if err != nil {
		return nil, notAvailable(perr.Error(), err.Error())
	}
	// A fixed host port, so that the restarted container is published on the same address.
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	ctr, err := startContainer(image, port)
	if err != nil {
		return nil, err
	}
	c := &Controlled{Server: Server{Addr: ctr.addr, URL: redisURL(ctr.addr), Source: SourceContainer}, ctr: ctr}
	c.stop = track(ctr.terminate)
	return c, nil
}

// Stop kills the server, as a crash would: connections to Addr are refused until Start. For a process
// the port stays bound without listening, so the kernel hands it to nobody asking for a free port (a
// program binding that exact port with SO_REUSEADDR still could). Stopping a stopped server does nothing.
func (c *Controlled) Stop(t testing.TB) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return
	}
	if c.paused { // a frozen container cannot be stopped; a frozen process dies of SIGKILL alike
		if err := c.signalLocked(false); err != nil {
			t.Fatalf("redistest: resume %s before stopping: %v", c.Addr, err)
		}
		c.paused = false
	}
	if err := c.stopLocked(); err != nil {
		t.Fatalf("redistest: stop %s: %v", c.Addr, err)
	}
	c.stopped = true
}

func (c *Controlled) stopLocked() error {
	if c.ctr != nil {
		return c.ctr.stop()
	}
	c.proc.kill()
	release, err := reservePort(c.proc.port)
	if err != nil {
		return err
	}
	c.release = release
	return nil
}

// Start starts the server again on the same address and returns once it answers PING. A restarted process
// is empty (it persists nothing); a container keeps whatever its image's configuration saved. Starting a
// running server does nothing.
func (c *Controlled) Start(t testing.TB) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.stopped {
		return
	}
	if err := c.startLocked(); err != nil {
		t.Fatalf("redistest: restart %s: %v", c.Addr, err)
	}
	c.stopped = false
	if err := c.reapplyLocked(); err != nil {
		t.Fatalf("redistest: restart %s: %v", c.Addr, err)
	}
}

func (c *Controlled) startLocked() error {
	if c.ctr != nil {
		return c.ctr.start()
	}
	c.release()
	c.release = nil
	if err := c.proc.launch(); err != nil {
		return fmt.Errorf("same port, new process: %w", err)
	}
	return nil
}
