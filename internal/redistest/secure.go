package redistest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// RequirePass makes the server require password from every client (CONFIG SET requirepass), as a
// production Redis with authentication does: clients without it get NOAUTH, with a wrong one WRONGPASS.
// Do authenticates with it from then on, and Start applies it again to a restarted server (which would
// otherwise come back without it). An empty password removes the requirement.
func (c *Controlled) RequirePass(t testing.TB, password string) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := c.doLocked("CONFIG", "SET", "requirepass", password); err != nil {
		t.Fatalf("redistest: CONFIG SET requirepass on %s: %v", c.Addr, err)
	}
	c.password = password
}

// Do sends one command to the server as its default user (authenticating with the RequirePass password,
// if any) and returns the reply, failing the test on any error. It is for setup such as
// ACL SETUSER name on >pass ~* +@all -get; the server must be running.
func (c *Controlled) Do(t testing.TB, args ...any) any {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	v, err := c.doLocked(args...)
	if err != nil {
		t.Fatalf("redistest: %v on %s: %v", args, c.Addr, err)
	}
	return v
}

// doLocked sends one command on a fresh admin connection; c.mu is held.
func (c *Controlled) doLocked(args ...any) (any, error) {
	if c.stopped {
		return nil, fmt.Errorf("server is stopped")
	}
	o := adminOptions(c.Addr)
	o.Password = c.password
	cl := redis.NewClient(o)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return cl.Do(ctx, args...).Result()
}

// reapplyLocked restores what RequirePass set on a server that was just started again; c.mu is held.
func (c *Controlled) reapplyLocked() error {
	if c.password == "" {
		return nil
	}
	pw := c.password
	c.password = "" // the restarted server has no password yet
	if _, err := c.doLocked("CONFIG", "SET", "requirepass", pw); err != nil {
		return fmt.Errorf("CONFIG SET requirepass after restart: %w", err)
	}
	c.password = pw
	return nil
}
