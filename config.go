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
	EnvURL       = "REDIS_URL"        // store URL for the redis and tiered drivers; may carry Cache options (?namespace=)
	EnvNamespace = "REDIS_NAMESPACE"  // namespace segment (default "qrl")
	EnvTTL       = "REDIS_CACHE_TTL"  // default TTL: seconds ("60") or a Go duration ("90s"); default 60s
	EnvTTLPrefix = "REDIS_CACHE_TTL_" // + KIND: TTL for one kind, e.g. REDIS_CACHE_TTL_TICKER=5
	EnvDriver    = "CACHE_DRIVER"     // memory | redis | tiered (default redis when REDIS_URL is set, else memory)
	EnvCodec     = "CACHE_CODEC"      // json | msgpack (default json)
	EnvPlainJSON = "CACHE_PLAIN_JSON" // true | false: write plain JSON the Python bot reads (migration mode)
	// EnvPolicy is Fetch's policy for kinds without one (ParsePolicy's text: "swr=2s,failsafe=10s");
	// EnvPolicy + "_" + KIND is one kind's, applied over its built-in policy (DefaultPolicies).
	EnvPolicy = "REDIS_CACHE_POLICY"
)

// Drivers accepted in Config.Driver.
const (
	DriverMemory = "memory"
	DriverRedis  = "redis"
	DriverTiered = "tiered"
)

// Config is what ConfigFromEnv reads; OpenConfig opens a Cache from it. A zero field is a setting no
// source gave: New's default applies (namespace "qrl", codec json, TTL 60 s, DefaultKindTTLs).
type Config struct {
	Driver     string                   // memory, redis or tiered
	URL        string                   // REDIS_URL without the Cache's own query options (required by redis and tiered)
	Namespace  string                   // "" = default
	Version    string                   // "" = default ("v1"); only from the URL's ?version=
	Codec      string                   // json or msgpack; "" = default
	PlainJSON  bool                     // migration mode
	DefaultTTL time.Duration            // ttl 0 when the kind has none; 0 = default
	KindTTLs   map[string]time.Duration // by kind, lower case ("ticker"); replaces the built-in one
	Policies   map[string]Policy        // Fetch policy by kind; replaces the built-in one
	Policy     *Policy                  // Fetch policy of other kinds; nil = default (the zero Policy)

	// Compression of new values (CACHE_COMPRESSION); the zero value is none.
	Compression codec.Compression
	// EncryptionKeys (CACHEKIT_ENCRYPTION_KEYS), nil for none. Printing it shows ids, never keys.
	EncryptionKeys *codec.Keyring
	// EncryptionRequired (CACHEKIT_ENCRYPTION_REQUIRED): only encrypted values read (WithEncryptionRequired).
	EncryptionRequired bool

	sources map[string]string // setting → the source that gave it ("REDIS_NAMESPACE=bot")
}

// ConfigFromEnv reads the configuration from the process environment. See ConfigFromLookup.
func ConfigFromEnv() (Config, error) { return ConfigFromLookup(os.LookupEnv) }

// ConfigFromLookup reads the configuration through lookup (os.LookupEnv in production, a map in tests).
// An invalid value is an error naming the variable and what it accepts. Cache options in REDIS_URL's
// query (namespace, version, codec, compression, ttl, plain_json) are settings like the variables and follow the same
// rule (see Labeled): REDIS_URL=redis://h/0?namespace=foo with REDIS_NAMESPACE=bar is an error naming
// both; with REDIS_NAMESPACE unset or equal, the namespace is foo.
func ConfigFromLookup(lookup func(string) (string, bool)) (Config, error) {
	get := func(name string) string {
		v, _ := lookup(name)
		return strings.TrimSpace(v)
	}
	cfg := Config{KindTTLs: map[string]time.Duration{}, Policies: map[string]Policy{}, sources: map[string]string{}}

	// Gather every source's settings as labeled options, then resolve them once by the one rule.
	var opts []Option
	if raw := get(EnvURL); raw != "" {
		stripped, urlOpts, err := splitCacheOptions(raw, EnvURL+" option ")
		if err != nil {
			return Config{}, fmt.Errorf("cachekit: %s: %w", EnvURL, err)
		}
		cfg.URL = stripped
		opts = append(opts, urlOpts...)
	}
	if ns := get(EnvNamespace); ns != "" {
		if err := keyspace.ValidateSegment(ns); err != nil {
			return Config{}, fmt.Errorf("cachekit: %s=%q: %w", EnvNamespace, ns, err)
		}
		opts = append(opts, Labeled(EnvNamespace+"="+ns, WithNamespace(ns)))
	}
	if name := get(EnvCodec); name != "" {
		c, err := codec.ByName(name)
		if err != nil {
			return Config{}, fmt.Errorf("cachekit: %s: %w", EnvCodec, err)
		}
		opts = append(opts, Labeled(EnvCodec+"="+name, WithCodec(c)))
	}
	if v := get(EnvPlainJSON); v != "" {
		on, err := strconv.ParseBool(v)
		if err != nil {
			return Config{}, fmt.Errorf("cachekit: %s=%q is not true or false", EnvPlainJSON, v)
		}
		opts = append(opts, Labeled(EnvPlainJSON+"="+v, withPlainJSON(on)))
	}
	if v := get(EnvCompression); v != "" {
		comp, err := codec.ParseCompression(v)
		if err != nil {
			return Config{}, fmt.Errorf("cachekit: %s: %w", EnvCompression, err)
		}
		opts = append(opts, Labeled(EnvCompression+"="+v, WithCompression(comp)))
	}
	if v := get(EnvEncryptionKeys); v != "" {
		kr, err := codec.ParseKeyring(v) // its errors name ids, never keys
		if err != nil {
			return Config{}, fmt.Errorf("cachekit: %s: %w", EnvEncryptionKeys, err)
		}
		opts = append(opts, Labeled(EnvEncryptionKeys, WithEncryptionKeys(kr))) // the label never shows the value
	}
	if v := get(EnvEncryptionRequired); v != "" {
		on, err := strconv.ParseBool(v)
		if err != nil {
			return Config{}, fmt.Errorf("cachekit: %s=%q is not true or false", EnvEncryptionRequired, v)
		}
		opts = append(opts, Labeled(EnvEncryptionRequired+"="+v, withEncryptionRequired(on)))
	}
	if v := get(EnvTTL); v != "" {
		d, err := ParseTTL(v)
		if err != nil {
			return Config{}, fmt.Errorf("cachekit: %s: %w", EnvTTL, err)
		}
		opts = append(opts, Labeled(EnvTTL+"="+v, WithDefaultTTL(d)))
	}
	if v := get(EnvPolicy); v != "" {
		p, err := ParsePolicy(v, Policy{})
		if err != nil {
			return Config{}, fmt.Errorf("cachekit: %s: %w", EnvPolicy, err)
		}
		opts = append(opts, Labeled(EnvPolicy+"="+v, WithDefaultPolicy(p)))
	}
	for _, name := range kindVars(lookup, EnvPolicy+"_") {
		kind := strings.ToLower(strings.TrimPrefix(name, EnvPolicy+"_"))
		p, err := ParsePolicy(get(name), DefaultPolicies()[kind])
		if err != nil {
			return Config{}, fmt.Errorf("cachekit: %s: %w", name, err)
		}
		opts = append(opts, Labeled(name+"="+get(name), WithPolicy(kind, p)))
	}
	for _, name := range kindVars(lookup, EnvTTLPrefix) {
		kind := strings.ToLower(strings.TrimPrefix(name, EnvTTLPrefix))
		d, err := ParseTTL(get(name))
		if err != nil {
			return Config{}, fmt.Errorf("cachekit: %s: %w", name, err)
		}
		opts = append(opts, Labeled(name+"="+get(name), WithKindTTL(kind, d)))
	}
	o := newOptions()
	if err := o.apply(opts); err != nil {
		return Config{}, err
	}
	if err := o.checkSealing(); err != nil {
		return Config{}, err
	}
	cfg.fill(o)

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
	return cfg, nil
}

// fill copies the settings o was given into cfg, with their sources.
func (cfg *Config) fill(o options) {
	for setting, g := range o.given {
		cfg.sources[setting] = g.source
		switch {
		case setting == "namespace":
			cfg.Namespace = o.namespace
		case setting == "version":
			cfg.Version = o.version
		case setting == "codec":
			cfg.Codec = o.codec.Name()
		case setting == "plain_json":
			cfg.PlainJSON = o.plainJSON
		case setting == "compression":
			cfg.Compression = o.compression
		case setting == "encryption_keys":
			cfg.EncryptionKeys = o.keys
		case setting == "encryption_required":
			cfg.EncryptionRequired = o.encryptionRequired
		case setting == "ttl":
			cfg.DefaultTTL = o.defaultTTL
		case strings.HasPrefix(setting, "ttl."):
			kind := strings.TrimPrefix(setting, "ttl.")
			cfg.KindTTLs[kind] = o.kindTTL[kind]
		case setting == "policy":
			p := o.defaultPolicy
			cfg.Policy = &p
		case strings.HasPrefix(setting, "policy."):
			kind := strings.TrimPrefix(setting, "policy.")
			cfg.Policies[kind] = o.policies[kind]
		}
	}
}

// kindVars lists the prefix+KIND variables (REDIS_CACHE_TTL_TICKER, ...) that are set. With a lookup
// other than the process environment only the well-known kinds are probed.
func kindVars(lookup func(string) (string, bool), prefix string) []string {
	seen := map[string]bool{}
	for _, kind := range []string{"TICKER", "OHLCV", "DEALS", "ORDERBOOK"} {
		if _, ok := lookup(prefix + kind); ok {
			seen[prefix+kind] = true
		}
	}
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, prefix) && len(name) > len(prefix) {
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

// Options returns the Cache options for the settings cfg gives, each labeled with its source (the
// variable or URL option it came from, else "Config.<Field>"), so that a conflicting Go option passed
// beside them is reported naming both.
func (cfg Config) Options() ([]Option, error) {
	label := func(setting, field string) string {
		if s, ok := cfg.sources[setting]; ok {
			return s
		}
		return "Config." + field
	}
	var opts []Option
	if cfg.Namespace != "" {
		opts = append(opts, Labeled(label("namespace", "Namespace"), WithNamespace(cfg.Namespace)))
	}
	if cfg.Version != "" {
		opts = append(opts, Labeled(label("version", "Version"), WithVersion(cfg.Version)))
	}
	if cfg.Codec != "" {
		c, err := codec.ByName(cfg.Codec)
		if err != nil {
			return nil, fmt.Errorf("cachekit: Config.Codec: %w", err)
		}
		opts = append(opts, Labeled(label("codec", "Codec"), WithCodec(c)))
	}
	if _, given := cfg.sources["plain_json"]; given || cfg.PlainJSON {
		opts = append(opts, Labeled(label("plain_json", "PlainJSON"), withPlainJSON(cfg.PlainJSON)))
	}
	if _, given := cfg.sources["compression"]; given || cfg.Compression != (codec.Compression{}) {
		opts = append(opts, Labeled(label("compression", "Compression"), WithCompression(cfg.Compression)))
	}
	if cfg.EncryptionKeys != nil {
		opts = append(opts, Labeled(label("encryption_keys", "EncryptionKeys"), WithEncryptionKeys(cfg.EncryptionKeys)))
	}
	if cfg.EncryptionRequired {
		opts = append(opts, Labeled(label("encryption_required", "EncryptionRequired"), WithEncryptionRequired()))
	}
	if cfg.DefaultTTL != 0 {
		opts = append(opts, Labeled(label("ttl", "DefaultTTL"), WithDefaultTTL(cfg.DefaultTTL)))
	}
	kinds := make([]string, 0, len(cfg.KindTTLs))
	for kind := range cfg.KindTTLs {
		kinds = append(kinds, kind)
	}
	sort.Strings(kinds)
	for _, kind := range kinds {
		opts = append(opts, Labeled(label("ttl."+kind, "KindTTLs"), WithKindTTL(kind, cfg.KindTTLs[kind])))
	}
	if cfg.Policy != nil {
		opts = append(opts, Labeled(label("policy", "Policy"), WithDefaultPolicy(*cfg.Policy)))
	}
	kinds = kinds[:0]
	for kind := range cfg.Policies {
		kinds = append(kinds, kind)
	}
	sort.Strings(kinds)
	for _, kind := range kinds {
		opts = append(opts, Labeled(label("policy."+kind, "Policies"), WithPolicy(kind, cfg.Policies[kind])))
	}
	return opts, nil
}

// OpenConfig opens the store cfg selects and returns a Cache over it. extra options follow the same
// precedence rule as cfg's settings (see Labeled): an extra option that disagrees with a setting of cfg
// is an error naming both. The store's package must be imported (store/memory, store/redis,
// store/tiered) to register its scheme.
func OpenConfig(ctx context.Context, cfg Config, extra ...Option) (*Cache, error) {
	opts, err := cfg.Options()
	if err != nil {
		return nil, err
	}
	return Open(ctx, cfg.StoreURL(), append(opts, extra...)...)
}

// OpenEnv is OpenConfig(ctx, ConfigFromEnv()), with extra options.
func OpenEnv(ctx context.Context, extra ...Option) (*Cache, error) {
	cfg, err := ConfigFromEnv()
	if err != nil {
		return nil, err
	}
	return OpenConfig(ctx, cfg, extra...)
}
