package redis

import (
	"context"
	"sync"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachekit/cachekit/internal/redistest"
	"github.com/cachekit/cachekit/store"
)

// TestMain shares one standalone server and one cluster among the package's tests.
func TestMain(m *testing.M) { redistest.Main(m) }

// openT opens a Store by URL and closes it when the test ends.
func openT(t testing.TB, rawURL string) *Store {
	t.Helper()
	s, err := Open(context.Background(), rawURL)
	if err != nil {
		t.Fatalf("Open(%s): %v", store.Redact(rawURL), err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// counter is a go-redis hook that counts what a client sends: single commands by name and pipelines.
type counter struct {
	mu        sync.Mutex
	cmds      map[string]int // single commands by lower-case name
	pipelines int
	piped     int // commands inside pipelines
}

func newCounter() *counter { return &counter{cmds: map[string]int{}} }

func (c *counter) DialHook(next goredis.DialHook) goredis.DialHook { return next }

func (c *counter) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		c.mu.Lock()
		c.cmds[cmd.Name()]++
		c.mu.Unlock()
		return next(ctx, cmd)
	}
}

func (c *counter) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		c.mu.Lock()
		c.pipelines++
		c.piped += len(cmds)
		c.mu.Unlock()
		return next(ctx, cmds)
	}
}

// reset forgets what was counted so far.
func (c *counter) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cmds, c.pipelines, c.piped = map[string]int{}, 0, 0
}

// snapshot returns the single commands (total and by name) and pipelines counted so far.
func (c *counter) snapshot() (total int, byName map[string]int, pipelines int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	byName = map[string]int{}
	for k, v := range c.cmds {
		byName[k] = v
		total += v
	}
	return total, byName, c.pipelines
}

// pipedCount returns the commands sent inside pipelines so far.
func (c *counter) pipedCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.piped
}
