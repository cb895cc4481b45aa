package cachekit

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cachekit/cachekit/codec"
	"github.com/cachekit/cachekit/keyspace"
)

// Environment variables read by ConfigFromEnv.
const (
	EnvURL       = "REDIS_URL"        // store URL for the redis and tiered drivers
	EnvNamespace = "REDIS_NAMESPACE"  // namespace segment (default "qrl")
	EnvTTL       = "REDIS_CACHE_TTL"  // default TTL: seconds ("60") or a Go duration ("90s"); default 60s
	EnvTTLPrefix = "REDIS_CACHE_TTL_" // + KIND: TTL for one kind, e.g. REDIS_CACHE_TTL_TICKER=5
	EnvDriver    = "CACHE_DRIVER"     // memory | redis | tiered (default redis when REDIS_URL is set, else memory)
	EnvCodec     = "CACHE_CODEC"      // json | msgpack (default json)
)

// Drivers accepted in Config.Driver.
const (
	DriverMemory = "memory"
	DriverRedis  = "redis"
	DriverTiered = "tiered"
)

// Config is what ConfigFromEnv reads; OpenConfig opens a Cache from it.
type Config struct {
	Driver     string                   // memory, redis or tiered
	URL        string                   // REDIS_URL (required by redis and tiered)
	Namespace  string                   // default "qrl"
	Codec      string                   // json or msgpack
	DefaultTTL time.Duration            // ttl 0 when the kind has none
	KindTTLs   map[string]time.Duration // by kind, lower case ("ticker")
}

// ConfigFromEnv reads the configuration from the process environment. See ConfigFromLookup.
func ConfigFromEnv() (Config, error) { return ConfigFromLookup(os.LookupEnv) }

// ConfigFromLookup reads the configuration through lookup (os.LookupEnv in production, a map in tests).
// An invalid value is an error naming the variable and what it accepts.
func ConfigFromLookup(lookup func(string) (string, bool)) (Config, error) {
	get := func(name string) string {
		v, _ := lookup(name)
		return strings.TrimSpace(v)
	}
	cfg := Config{
		URL:        get(EnvURL),
		Namespace:  keyspace.DefaultNamespace,
		Codec:      codec.JSON.Name(),
		DefaultTTL: DefaultTTL,
		KindTTLs:   map[string]time.Duration{},
	}
	if ns := get(EnvNamespace); ns != "" {
		if err := keyspace.ValidateSegment(ns); err != nil {
			return Config{}, fmt.Errorf("cachekit: %s=%q: %w", EnvNamespace, ns, err)
		}
		cfg.Namespace = ns
	}
	if c := get(EnvCodec); c != "" {
		if _, err := codec.ByName(c); err != nil {
			return Config{}, fmt.Errorf("cachekit: %s: %w", EnvCodec, err)
		}
		cfg.Codec = c
	}
	switch d := strings.ToLower(get(EnvDriver)); d {
	case "":
		cfg.Driver = DriverMemory
		if cfg.URL != "" {
			cfg.Driver = DriverRedis
		}
	case DriverMemory, DriverRedis, DriverTiered:
		cfg.Driver = d
	default:
		return Config{}, fmt.Errorf("cachekit: %s=%q is not one of memory, redis, tiered", EnvDriver, d)
	}
	if cfg.Driver != DriverMemory && cfg.URL == "" {
		return Config{}, fmt.Errorf("cachekit: %s=%s needs %s", EnvDriver, cfg.Driver, EnvURL)
	}
	if v := get(EnvTTL); v != "" {
		d, err := ParseTTL(v)
		if err != nil {
			return Config{}, fmt.Errorf("cachekit: %s: %w", EnvTTL, err)
		}
		cfg.DefaultTTL = d
	}
	for _, name := range kindTTLVars(lookup) {
		kind := strings.ToLower(strings.TrimPrefix(name, EnvTTLPrefix))
		d, err := ParseTTL(get(name))
		if err != nil {
			return Config{}, fmt.Errorf("cachekit: %s: %w", name, err)
		}
		cfg.KindTTLs[kind] = d
	}
	return cfg, nil
}

// kindTTLVars lists the REDIS_CACHE_TTL_<KIND> variables that are set. With a lookup other than the
// process environment only the well-known kinds are probed.
func kindTTLVars(lookup func(string) (string, bool)) []string {
	seen := map[string]bool{}
	for _, kind := range []string{"TICKER", "OHLCV", "DEALS", "ORDERBOOK"} {
		if _, ok := lookup(EnvTTLPrefix + kind); ok {
			seen[EnvTTLPrefix+kind] = true
		}
	}
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, EnvTTLPrefix) && len(name) > len(EnvTTLPrefix) {
			if _, ok := lookup(name); ok {
				seen[name] = true
			}
		}
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ParseTTL parses a TTL given as whole seconds ("60", as the Python bot's variables are) or as a Go
// duration ("90s", "1h"). It must be > 0.
func ParseTTL(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n <= 0 || n > int64((1<<63-1)/int64(time.Second)) {
			return 0, fmt.Errorf("%w: %q must be a positive number of seconds", ErrInvalidTTL, s)
		}
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%w: %q is neither whole seconds (60) nor a positive duration (90s)", ErrInvalidTTL, s)
	}
	return d, nil
}

// StoreURL returns the store URL the configuration selects: "memory://" for memory, URL for redis, and a
// tiered URL with an in-process L1 over URL for tiered.
func (cfg Config) StoreURL() string {
	switch cfg.Driver {
	case DriverRedis:
		return cfg.URL
	case DriverTiered:
		return "tiered://?l1=" + url.QueryEscape("memory://") + "&l2=" + url.QueryEscape(cfg.URL)
	}
	return "memory://"
}

// Options returns the Cache options the configuration implies.
func (cfg Config) Options() ([]Option, error) {
	opts := []Option{WithNamespace(cfg.Namespace)}
	if cfg.Codec != "" {
		c, err := codec.ByName(cfg.Codec)
		if err != nil {
			return nil, err
		}
		opts = append(opts, WithCodec(c))
	}
	if cfg.DefaultTTL > 0 {
		opts = append(opts, WithDefaultTTL(cfg.DefaultTTL))
	}
	for kind, d := range cfg.KindTTLs {
		opts = append(opts, WithKindTTL(kind, d))
	}
	return opts, nil
}

// OpenConfig opens the store cfg selects and returns a Cache over it. extra options apply after cfg's.
// The store's package must be imported (store/memory, store/redis, store/tiered) to register its scheme.
func OpenConfig(ctx context.Context, cfg Config, extra ...Option) (*Cache, error) {
	opts, err := cfg.Options()
	if err != nil {
		return nil, err
	}
	return Open(ctx, cfg.StoreURL(), append(opts, extra...)...)
}

// OpenEnv is OpenConfig(ctx, ConfigFromEnv()).
func OpenEnv(ctx context.Context, extra ...Option) (*Cache, error) {
	cfg, err := ConfigFromEnv()
	if err != nil {
		return nil, err
	}
	return OpenConfig(ctx, cfg, extra...)
}
