package redis

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cachekit/cachekit/store"
)

// secret is the password every URL test uses; it must never appear in an error or a description.
const secret = "S3cr3t-pw_42"

func mustParse(t *testing.T, raw string) *config {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("url.Parse(%q): %v", raw, err)
	}
	cfg, err := parseURL(u)
	if err != nil {
		t.Fatalf("parseURL(%q): %v", store.Redact(raw), err)
	}
	if strings.Contains(cfg.desc, secret) || strings.Contains(cfg.endpoint, secret) {
		t.Fatalf("description %q / endpoint %q contains the password", cfg.desc, cfg.endpoint)
	}
	return cfg
}

func TestParseURLSchemes(t *testing.T) {
	t.Run("redis", func(t *testing.T) {
		cfg := mustParse(t, "redis://app:"+secret+"@10.0.0.5:6380/3?dial_timeout=250ms&read_timeout=1s&pool_size=7&client_name=bot&scan_count=100&delete_batch=50&stats_max_age=0")
		o := cfg.single
		if o == nil {
			t.Fatal("redis:// did not produce single-node options")
		}
		if o.Addr != "10.0.0.5:6380" || o.DB != 3 || o.Username != "app" || o.Password != secret {
			t.Errorf("addr/db/user/password = %q/%d/%q/%q", o.Addr, o.DB, o.Username, o.Password)
		}
		if o.DialTimeout != 250*time.Millisecond || o.ReadTimeout != time.Second || o.WriteTimeout != DefaultWriteTimeout {
			t.Errorf("timeouts dial/read/write = %v/%v/%v", o.DialTimeout, o.ReadTimeout, o.WriteTimeout)
		}
		if o.PoolSize != 7 || o.ClientName != "bot" || !o.ContextTimeoutEnabled || o.MaxRetries != DefaultMaxRetries || o.DialerRetries != 1 {
			t.Errorf("pool_size/client_name/ctx/max_retries/dialer_retries = %d/%q/%v/%d/%d", o.PoolSize, o.ClientName, o.ContextTimeoutEnabled, o.MaxRetries, o.DialerRetries)
		}
		if o.TLSConfig != nil {
			t.Error("redis:// has a TLS config")
		}
		if cfg.opts.ScanCount != 100 || cfg.opts.DeleteBatch != 50 || cfg.opts.StatsMaxAge >= 0 {
			t.Errorf("scan_count/delete_batch/stats_max_age = %d/%d/%v", cfg.opts.ScanCount, cfg.opts.DeleteBatch, cfg.opts.StatsMaxAge)
		}
		if cfg.endpoint != "10.0.0.5:6380" || !strings.Contains(cfg.desc, "app:xxxxx@10.0.0.5:6380") {
			t.Errorf("endpoint %q, desc %q", cfg.endpoint, cfg.desc)
		}
	})
	t.Run("defaults", func(t *testing.T) {
		o := mustParse(t, "redis://localhost").single
		if o.Addr != "localhost:6379" || o.DialTimeout != DefaultDialTimeout || o.ReadTimeout != DefaultReadTimeout ||
			o.PoolTimeout != DefaultPoolTimeout || o.MaxRetries != DefaultMaxRetries || o.MinRetryBackoff != defaultMinRetryBackoff {
			t.Errorf("defaults not applied: %+v", o)
		}
	})
	t.Run("max_retries=0 disables retries", func(t *testing.T) {
		if o := mustParse(t, "redis://localhost?max_retries=0").single; o.MaxRetries != -1 {
			t.Errorf("MaxRetries = %d, want -1 (go-redis: none)", o.MaxRetries)
		}
	})
	t.Run("rediss verifies by default", func(t *testing.T) {
		o := mustParse(t, "rediss://:"+secret+"@cache.example.com:6380").single
		if o.TLSConfig == nil || o.TLSConfig.InsecureSkipVerify || o.TLSConfig.ServerName != "cache.example.com" {
			t.Fatalf("TLS config %+v, want verification on for cache.example.com", o.TLSConfig)
		}
		if o := mustParse(t, "rediss://cache.example.com?skip_verify=true").single; !o.TLSConfig.InsecureSkipVerify {
			t.Error("skip_verify=true did not reach go-redis")
		}
	})
	t.Run("unix", func(t *testing.T) {
		o := mustParse(t, "unix://u:"+secret+"@/run/redis/redis.sock?db=2&read_timeout=2s").single
		if o.Network != "unix" || o.Addr != "/run/redis/redis.sock" || o.DB != 2 || o.ReadTimeout != 2*time.Second || o.Password != secret {
			t.Errorf("unix options %q %q db %d read %v", o.Network, o.Addr, o.DB, o.ReadTimeout)
		}
	})
	t.Run("sentinel", func(t *testing.T) {
		cfg := mustParse(t, "redis+sentinel://app:"+secret+"@10.0.0.1:26380/mymaster/4?addr=10.0.0.2:26379&addr=10.0.0.3:26379&dial_timeout=300ms")
		o := cfg.failover
		if o == nil {
			t.Fatal("redis+sentinel:// did not produce failover options")
		}
		if o.MasterName != "mymaster" || o.DB != 4 || o.Username != "app" || o.Password != secret {
			t.Errorf("master/db/user/password = %q/%d/%q/%q", o.MasterName, o.DB, o.Username, o.Password)
		}
		if want := []string{"10.0.0.1:26380", "10.0.0.2:26379", "10.0.0.3:26379"}; strings.Join(o.SentinelAddrs, ",") != strings.Join(want, ",") {
			t.Errorf("sentinels %v, want %v", o.SentinelAddrs, want)
		}
		if o.SentinelPassword != "" || o.DialTimeout != 300*time.Millisecond || !o.ContextTimeoutEnabled {
			t.Errorf("sentinel password set=%v, dial %v, ctx %v", o.SentinelPassword != "", o.DialTimeout, o.ContextTimeoutEnabled)
		}
		if !strings.Contains(cfg.endpoint, "mymaster") || !strings.Contains(cfg.endpoint, "10.0.0.1:26380") {
			t.Errorf("endpoint %q does not name the master and sentinel", cfg.endpoint)
		}
	})
	t.Run("sentinel default port and sentinel_auth", func(t *testing.T) {
		o := mustParse(t, "redis+sentinel://:"+secret+"@sentinel.local/cache?sentinel_auth=true").failover
		if o.SentinelAddrs[0] != "sentinel.local:26379" || o.DB != 0 || o.SentinelPassword != secret {
			t.Errorf("sentinels %v db %d sentinel password set=%v", o.SentinelAddrs, o.DB, o.SentinelPassword == secret)
		}
		if o := mustParse(t, "rediss+sentinel://s1:26379/cache").failover; o.TLSConfig == nil || o.TLSConfig.InsecureSkipVerify {
			t.Error("rediss+sentinel:// without verified TLS")
		}
	})
	t.Run("cluster", func(t *testing.T) {
		cfg := mustParse(t, "redis+cluster://app:"+secret+"@10.0.0.1:7000?addr=10.0.0.2:7001&addr=10.0.0.3:7002&read_timeout=700ms&pool_size=3")
		o := cfg.cluster
		if o == nil {
			t.Fatal("redis+cluster:// did not produce cluster options")
		}
		if strings.Join(o.Addrs, ",") != "10.0.0.1:7000,10.0.0.2:7001,10.0.0.3:7002" || o.Password != secret || o.Username != "app" {
			t.Errorf("addrs %v user %q", o.Addrs, o.Username)
		}
		if o.ReadTimeout != 700*time.Millisecond || o.PoolSize != 3 || !o.ContextTimeoutEnabled || o.DialerRetries != 1 {
			t.Errorf("read %v pool %d ctx %v dialer retries %d", o.ReadTimeout, o.PoolSize, o.ContextTimeoutEnabled, o.DialerRetries)
		}
		if o := mustParse(t, "rediss+cluster://10.0.0.1:7000").cluster; o.TLSConfig == nil || o.TLSConfig.InsecureSkipVerify {
			t.Error("rediss+cluster:// without verified TLS")
		}
	})
	t.Run("auto_pipeline", func(t *testing.T) {
		if cfg := mustParse(t, "redis://localhost?auto_pipeline=true"); !cfg.opts.AutoPipeline {
			t.Error("auto_pipeline=true did not set Options.AutoPipeline")
		}
		if cfg := mustParse(t, "redis+cluster://h1:7000?auto_pipeline=1"); !cfg.opts.AutoPipeline {
			t.Error("auto_pipeline=1 on a cluster URL did not set Options.AutoPipeline")
		}
		if cfg := mustParse(t, "redis://localhost"); cfg.opts.AutoPipeline {
			t.Error("Options.AutoPipeline is on without auto_pipeline")
		}
	})
	t.Run("eviction_policy", func(t *testing.T) {
		if cfg := mustParse(t, "redis://localhost?eviction_policy=allkeys-lru"); cfg.policy != "allkeys-lru" {
			t.Errorf("policy %q", cfg.policy)
		}
	})
}

func TestParseURLErrors(t *testing.T) {
	cases := []struct {
		name, url string
		mention   string // the error must name this
	}{
		{"unknown option", "redis://u:" + secret + "@localhost:6379/0?bogus_opt=1", "bogus_opt"},
		{"unknown option on cluster", "redis+cluster://u:" + secret + "@h1:7000?addr=h2:7001&frobnicate=2", "frobnicate"},
		{"unknown option on sentinel", "redis+sentinel://u:" + secret + "@h1/mymaster?nonsense=x", "nonsense"},
		{"bad duration of ours", "redis://u:" + secret + "@localhost?dial_timeout=fast", "dial_timeout"},
		{"zero timeout", "redis://u:" + secret + "@localhost?read_timeout=0s", "read_timeout"},
		{"negative retries", "redis://u:" + secret + "@localhost?max_retries=-3", "max_retries"},
		{"huge pool", "redis://u:" + secret + "@localhost?pool_size=99999999", "pool_size"},
		{"repeated option", "redis://u:" + secret + "@localhost?pool_size=1&pool_size=2", "pool_size"},
		{"bad eviction policy", "redis://u:" + secret + "@localhost?eviction_policy=lru-please", "lru-please"},
		{"bad db", "redis://u:" + secret + "@localhost/notadb", "notadb"},
		{"bad go-redis option value", "redis://u:" + secret + "@localhost?min_idle_conns=many", "min_idle_conns"},
		{"sentinel without master", "redis+sentinel://u:" + secret + "@h1:26379", "mastername"},
		{"sentinel with too long a path", "redis+sentinel://u:" + secret + "@h1:26379/m/0/x", "mastername"},
		{"sentinel bad db", "redis+sentinel://u:" + secret + "@h1:26379/m/zero", "zero"},
		{"sentinel password in query", "redis+sentinel://h1:26379/m?password=" + secret, "password"},
		{"sentinel bad addr", "redis+sentinel://u:" + secret + "@h1:26379/m?addr=nohostport", "nohostport"},
		{"sentinel route_by_latency (go-redis would panic)", "redis+sentinel://u:" + secret + "@h1:26379/m?route_by_latency=true", "go-redis"},
		{"cluster with db path", "redis+cluster://u:" + secret + "@h1:7000/2", "path"},
		{"cluster bad addr", "redis+cluster://u:" + secret + "@h1:7000?addr=:", "addr"},
		{"unix without path", "unix://u:" + secret + "@", "path"},
		{"bad auto_pipeline", "redis://u:" + secret + "@localhost?auto_pipeline=sometimes", "auto_pipeline"},
		{"sentinel_auth on plain redis", "redis://u:" + secret + "@localhost?sentinel_auth=true", "sentinel_auth"},
		{"max_active_conns beyond int32 (go-redis would panic)", "redis://u:" + secret + "@localhost?max_active_conns=99999999999", "go-redis"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := Open(context.Background(), c.url)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%s) succeeded, want ErrInvalidURL", store.Redact(c.url))
			}
			if !errors.Is(err, store.ErrInvalidURL) {
				t.Errorf("error %v does not wrap store.ErrInvalidURL", err)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q contains the password", err)
			}
			if !strings.Contains(err.Error(), c.mention) {
				t.Errorf("error %q does not mention %q", err, c.mention)
			}
		})
	}
}

// The registry path (store.Open) reaches the same opener for every scheme of Schemes.
func TestSchemesRegistered(t *testing.T) {
	registered := map[string]bool{}
	for _, s := range store.Schemes() {
		registered[s] = true
	}
	for _, s := range Schemes {
		if !registered[s] {
			t.Errorf("scheme %q not registered with store", s)
		}
	}
	_, err := store.Open(context.Background(), "redis+cluster://h:7000?pool_size=nope")
	if !errors.Is(err, store.ErrInvalidURL) {
		t.Errorf("store.Open with a bad option: %v, want ErrInvalidURL", err)
	}
}
