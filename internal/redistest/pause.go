package redistest

import (
	"context"
	"fmt"
	"syscall"
	"testing"
)

// Pause freezes the server, as a hung host or a long GC-like stall would: connections stay open and new
// ones are accepted by the kernel, but nothing is answered until Resume (SIGSTOP on a process, docker
// pause on a container). Pausing a paused or stopped server does nothing; t.Cleanup resumes it.
func (c *Controlled) Pause(t testing.TB) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped || c.paused {
		return
	}
	if err := c.signalLocked(true); err != nil {
		t.Fatalf("redistest: pause %s: %v", c.Addr, err)
	}
	c.paused = true
	t.Cleanup(func() { c.Resume(t) })
}

// Resume lets a paused server run again. Resuming a running server does nothing.
func (c *Controlled) Resume(t testing.TB) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.paused {
		return
	}
	if err := c.signalLocked(false); err != nil {
		t.Fatalf("redistest: resume %s: %v", c.Addr, err)
	}
	c.paused = false
}

// Paused reports whether the server is paused.
func (c *Controlled) Paused() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.paused
}

func (c *Controlled) signalLocked(pause bool) error {
	if c.ctr != nil {
		ctx, cancel := context.WithTimeout(context.Background(), containerTimeout)
		defer cancel()
		if pause {
			return c.ctr.pause(ctx)
		}
		return c.ctr.unpause(ctx)
	}
	return c.proc.freeze(pause)
}

// freeze sends SIGSTOP (pause true) or SIGCONT to the process's whole group: a fork (a BGSAVE child) is
// frozen with its parent.
func (p *proc) freeze(pause bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cur == nil {
		return fmt.Errorf("%s is not running", p.name)
	}
	sig := syscall.SIGCONT
	if pause {
		sig = syscall.SIGSTOP
	}
	return syscall.Kill(-p.cur.cmd.Process.Pid, sig)
}
