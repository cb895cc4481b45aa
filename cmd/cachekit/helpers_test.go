package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/store"
	"github.com/cachekit/cachekit/store/memory"
)

// result is what one in-process run of the CLI produced.
type result struct {
	code           int
	stdout, stderr string
}

// cli runs commands in-process with an empty environment. With a shared store, every run opens its Cache
// over that one in-process store (whatever --cache says), so a test can seed keys and run ops commands
// against them.
type cli struct {
	t      *testing.T
	env    map[string]string
	shared store.Store
}

func newCLI(t *testing.T) *cli { return &cli{t: t, env: map[string]string{}} }

// withSharedMemory makes every run use one memory store that outlives the runs. It sets CACHE_DRIVER=memory,
// so the ops commands see an explicitly configured store.
func (c *cli) withSharedMemory() *cli {
	c.env[cachekit.EnvDriver] = cachekit.DriverMemory
	st, err := memory.New(memory.Options{})
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { st.Close() })
	c.shared = st
	return c
}

// cache returns a Cache over the shared store in namespace ns, for seeding and checking.
func (c *cli) cache(ns string) *cachekit.Cache {
	c.t.Helper()
	cache, err := cachekit.New(keepOpen{c.shared}, cachekit.WithNamespace(ns))
	if err != nil {
		c.t.Fatal(err)
	}
	return cache
}

func (c *cli) run(stdin string, args ...string) result {
	c.t.Helper()
	return c.runCtx(context.Background(), stdin, args...)
}

// runCtx is run under ctx (a cancelled one stands for Ctrl-C).
func (c *cli) runCtx(ctx context.Context, stdin string, args ...string) result {
	c.t.Helper()
	var out, errb bytes.Buffer
	a := newApp(strings.NewReader(stdin), &out, &errb)
	a.lookupEnv = func(k string) (string, bool) {
		v, ok := c.env[k]
		return v, ok
	}
	if c.shared != nil {
		a.openCache = func(_ context.Context, _ string, opts ...cachekit.Option) (*cachekit.Cache, error) {
			return cachekit.New(keepOpen{c.shared}, opts...)
		}
	}
	code := a.run(ctx, args)
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// keepOpen lets several Caches share one real in-process store: closing a Cache does not close it.
type keepOpen struct{ store.Store }

func (keepOpen) Close() error { return nil }

// expect fails the test unless the run exited with code.
func (r result) expect(t *testing.T, code int) result {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
	return r
}

// lines splits output into lines without the trailing empty one.
func lines(s string) []string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// seed stores v under each key in cache, failing the test on error.
func seed(t *testing.T, cache *cachekit.Cache, v any, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if err := cache.Set(context.Background(), k, v, 0); err != nil {
			t.Fatalf("seed %s: %v", k, err)
		}
	}
}

// exists reports whether cache holds key.
func exists(t *testing.T, cache *cachekit.Cache, key string) bool {
	t.Helper()
	ok, err := cache.Exists(context.Background(), key)
	if err != nil {
		t.Fatalf("exists %s: %v", key, err)
	}
	return ok
}
