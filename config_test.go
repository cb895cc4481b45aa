package cachekit_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cachekit/cachekit"
	_ "github.com/cachekit/cachekit/store/memory"
)

func lookup(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

func TestConfigFromEnvDefaults(t *testing.T) {
	cfg, err := cachekit.ConfigFromLookup(lookup(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Driver != "memory" || cfg.Namespace != "" || cfg.Codec != "" || cfg.DefaultTTL != 0 || len(cfg.KindTTLs) != 0 {
		t.Fatalf("nothing given, yet cfg = %+v", cfg)
	}
	if cfg.StoreURL() != "memory://" {
		t.Fatalf("StoreURL = %q", cfg.StoreURL())
	}
	cfg, err = cachekit.ConfigFromLookup(lookup(map[string]string{
		"REDIS_URL": "redis://localhost:6379/2", "REDIS_NAMESPACE": "bot", "REDIS_CACHE_TTL": "30",
		"REDIS_CACHE_TTL_TICKER": "5", "REDIS_CACHE_TTL_OHLCV": "24h", "CACHE_CODEC": "msgpack",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Driver != "redis" || cfg.StoreURL() != "redis://localhost:6379/2" || cfg.Namespace != "bot" || cfg.Codec != "msgpack" ||
		cfg.DefaultTTL != 30*time.Second || cfg.KindTTLs["ticker"] != 5*time.Second || cfg.KindTTLs["ohlcv"] != 24*time.Hour {
		t.Fatalf("cfg = %+v", cfg)
	}
	cfg, err = cachekit.ConfigFromLookup(lookup(map[string]string{"REDIS_URL": "redis://h:1", "CACHE_DRIVER": "tiered"}))
	if err != nil || cfg.StoreURL() != "tiered://?l1=memory%3A%2F%2F&l2=redis%3A%2F%2Fh%3A1" {
		t.Fatalf("tiered StoreURL = %q, %v", cfg.StoreURL(), err)
	}
}

func TestConfigErrorsNameTheVariable(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"REDIS_CACHE_TTL":        {"REDIS_CACHE_TTL": "-5"},
		"REDIS_CACHE_TTL_TICKER": {"REDIS_CACHE_TTL_TICKER": "soon"},
		"CACHE_DRIVER":           {"CACHE_DRIVER": "memcached"},
		"CACHE_CODEC":            {"CACHE_CODEC": "xml"},
		"REDIS_NAMESPACE":        {"REDIS_NAMESPACE": "a:b"},
		"REDIS_URL":              {"CACHE_DRIVER": "redis"},
	} {
		_, err := cachekit.ConfigFromLookup(lookup(env))
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%v: error %v does not name %s", env, err, name)
		}
	}
}

func TestOpenByURLStripsCacheOptions(t *testing.T) {
	ctx := context.Background()
	c, err := cachekit.Open(ctx, "memory://?max_bytes=1MiB&namespace=bot&codec=msgpack&ttl=7")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Keyspace().Prefix() != "bot:v1:" || c.Codec().Name() != "msgpack" || c.DefaultTTL() != 7*time.Second {
		t.Fatalf("options not applied: %s %s %v", c.Keyspace(), c.Codec().Name(), c.DefaultTTL())
	}
	if _, err := cachekit.Open(ctx, "memory://?max_bytez=1MiB"); !errors.Is(err, cachekit.ErrInvalidURL) || !strings.Contains(err.Error(), "max_bytez") {
		t.Fatalf("unknown option: %v", err)
	}
	if _, err := cachekit.Open(ctx, "memcache://x"); !errors.Is(err, cachekit.ErrInvalidURL) || !strings.Contains(err.Error(), "memcache") {
		t.Fatalf("unknown scheme: %v", err)
	}
	if _, err := cachekit.Open(ctx, "memory://?codec=xml"); !errors.Is(err, cachekit.ErrInvalidURL) {
		t.Fatalf("bad codec: %v", err)
	}
}

// Migration mode: CACHE_PLAIN_JSON=true (or ?plain_json=true) makes Set write plain JSON without the
// envelope, which the Python bot reads; values stay readable by Go.
func TestPlainJSONSwitch(t *testing.T) {
	ctx := context.Background()
	for name, setup := range map[string]func(t *testing.T) (*cachekit.Cache, error){
		"env": func(t *testing.T) (*cachekit.Cache, error) {
			t.Setenv("CACHE_DRIVER", "memory")
			t.Setenv("REDIS_URL", "")
			t.Setenv("CACHE_PLAIN_JSON", "true")
			return cachekit.OpenEnv(ctx)
		},
		"url": func(t *testing.T) (*cachekit.Cache, error) { return cachekit.Open(ctx, "memory://?plain_json=true") },
	} {
		t.Run(name, func(t *testing.T) {
			c, err := setup(t)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if err := c.Set(ctx, "ticker:QRL/USDT", map[string]any{"last": 0.5}, 0); err != nil {
				t.Fatal(err)
			}
			raw, err := c.Store().Get(ctx, "qrl:v1:ticker:QRL/USDT")
			if err != nil || string(raw) != `{"last":0.5}` {
				t.Fatalf("stored %q, %v; want plain JSON", raw, err)
			}
		})
	}
	t.Setenv("CACHE_PLAIN_JSON", "maybe")
	if _, err := cachekit.ConfigFromEnv(); err == nil || !strings.Contains(err.Error(), "CACHE_PLAIN_JSON") {
		t.Fatalf("bad CACHE_PLAIN_JSON: %v", err)
	}
}
