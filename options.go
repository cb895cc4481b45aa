package cachekit

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/cachekit/cachekit/codec"
	"github.com/cachekit/cachekit/keyspace"
)

// ErrConflict means two configuration sources give one setting different values (a Go option and an
// environment variable, a URL option and an environment variable, ...). The error names both sources;
// nothing is opened.
var ErrConflict = errors.New("cachekit: conflicting configuration")

// options is what Options build. Settings that a source can give (namespace, version, codec,
// plain_json, compression, encryption_keys, encryption_required, ttl, ttl.<kind>) go through claim, which enforces the precedence rule.
type options struct {
	namespace, version string
	codec              codec.Codec
	plainJSON          bool
	compression        codec.Compression // sealing.go
	keys               *codec.Keyring    // sealing.go
	encryptionRequired bool              // sealing.go
	defaultTTL         time.Duration
	kindTTL            map[string]time.Duration
	warmLimit          int
	statsTimeout       time.Duration
	fetchReadTimeout   time.Duration // WithFetchReadTimeout
	policies           map[string]Policy
	defaultPolicy      Policy
	now                func() time.Time
	logger             *slog.Logger // WithLogger

	source string           // label of the source being applied (Labeled), "" for plain Go options
	given  map[string]given // setting → who gave it, with what value
}

type given struct{ source, value string }

func newOptions() options {
	return options{
		namespace:        keyspace.DefaultNamespace,
		version:          keyspace.DefaultVersion,
		codec:            codec.JSON,
		defaultTTL:       DefaultTTL,
		kindTTL:          DefaultKindTTLs(),
		warmLimit:        8,
		statsTimeout:     DefaultStatsTimeout,
		fetchReadTimeout: DefaultFetchReadTimeout,
		policies:         DefaultPolicies(),
		now:              time.Now,
		given:            map[string]given{},
	}
}

// claim records that the source being applied gives setting the value (in a canonical text form), and
// is THE precedence rule of this package, used by New, Open, OpenEnv and the CLI alike:
//
//	A setting may be given by a Go option (the CLI's flags are Go options), by the store URL's query
//	(?namespace=) and by the environment (REDIS_NAMESPACE). Every source that gives a setting must
//	give the same value; two that differ are an error wrapping ErrConflict naming both. A setting
//	that no source gives takes its default.
//
// goLabel names the Go option, used when no Labeled source is being applied.
func (o *options) claim(setting, value, goLabel string) error {
	src := o.source
	if src == "" {
		src = goLabel
	}
	if g, ok := o.given[setting]; ok && g.value != value {
		return fmt.Errorf("%w: %s is %s by %s but %s by %s", ErrConflict, setting, g.value, g.source, value, src)
	}
	o.given[setting] = given{source: src, value: value}
	return nil
}

// apply runs opts in order, stopping at the first error.
func (o *options) apply(opts []Option) error {
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(o); err != nil {
			return err
		}
	}
	return nil
}

// Option configures a Cache. Options that set a setting follow the precedence rule (see Labeled).
type Option func(*options) error

// Labeled applies opts as given by source ("--namespace", "REDIS_NAMESPACE=bot"), so that a conflict
// names it. OpenEnv labels the environment's settings and the URL's options this way; the CLI labels its
// flags. The rule: every source that gives a setting must give the same value, else the Cache is not
// opened and the error (wrapping ErrConflict) names both sources.
func Labeled(source string, opts ...Option) Option {
	return func(o *options) error {
		prev := o.source
		o.source = source
		defer func() { o.source = prev }()
		return o.apply(opts)
	}
}

// WithNamespace sets the namespace segment (default "qrl").
func WithNamespace(ns string) Option {
	return func(o *options) error {
		if err := o.claim("namespace", strconv.Quote(ns), fmt.Sprintf("WithNamespace(%q)", ns)); err != nil {
			return err
		}
		o.namespace = ns
		return nil
	}
}

// WithVersion sets the version segment (default "v1"). Bump it when the shape of cached values changes.
func WithVersion(v string) Option {
	return func(o *options) error {
		if err := o.claim("version", strconv.Quote(v), fmt.Sprintf("WithVersion(%q)", v)); err != nil {
			return err
		}
		o.version = v
		return nil
	}
}

// WithCodec sets the codec new values are written with (default codec.JSON). Values written with any
// codec stay readable: the envelope names the codec that wrote them.
func WithCodec(c codec.Codec) Option {
	return func(o *options) error {
		if c == nil {
			return fmt.Errorf("cachekit: WithCodec(nil)")
		}
		if err := o.claim("codec", c.Name(), fmt.Sprintf("WithCodec(%s)", c.Name())); err != nil {
			return err
		}
		o.codec = c
		return nil
	}
}

// WithPlainJSON makes Set write bare JSON without the envelope, readable by a Python bot sharing the
// Redis during a migration (decimals as JSON numbers, times as RFC 3339 strings). Reads accept both
// forms regardless. Environment: CACHE_PLAIN_JSON=true; URL option: plain_json=true.
func WithPlainJSON() Option { return withPlainJSON(true) }

func withPlainJSON(on bool) Option {
	return func(o *options) error {
		if err := o.claim("plain_json", strconv.FormatBool(on), fmt.Sprintf("WithPlainJSON (%t)", on)); err != nil {
			return err
		}
		o.plainJSON = on
		return nil
	}
}

// WithDefaultTTL sets the TTL used for ttl 0 when the key's kind has none (default 60s). It must be > 0.
func WithDefaultTTL(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("%w: default TTL %v must be > 0", ErrInvalidTTL, d)
		}
		if err := o.claim("ttl", d.String(), fmt.Sprintf("WithDefaultTTL(%v)", d)); err != nil {
			return err
		}
		o.defaultTTL = d
		return nil
	}
}

// WithKindTTL sets the TTL used for ttl 0 on keys whose first segment is kind ("ticker"), replacing the
// built-in one (DefaultKindTTLs). It must be > 0.
func WithKindTTL(kind string, d time.Duration) Option {
	return func(o *options) error {
		if err := keyspace.ValidateSegment(kind); err != nil {
			return fmt.Errorf("cachekit: WithKindTTL kind: %w", &keyError{err})
		}
		if d <= 0 {
			return fmt.Errorf("%w: TTL %v for kind %q must be > 0", ErrInvalidTTL, d, kind)
		}
		if err := o.claim("ttl."+kind, d.String(), fmt.Sprintf("WithKindTTL(%q, %v)", kind, d)); err != nil {
			return err
		}
		o.kindTTL[kind] = d
		return nil
	}
}

// WithWarmConcurrency bounds how many loaders Warm runs at once (default 8).
func WithWarmConcurrency(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("cachekit: warm concurrency %d must be >= 1", n)
		}
		o.warmLimit = n
		return nil
	}
}

// WithStatsTimeout bounds the server part of Stats (store figures, namespace key count); default
// DefaultStatsTimeout. The Cache's own counters never wait: see Counters.
func WithStatsTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("cachekit: stats timeout %v must be > 0", d)
		}
		o.statsTimeout = d
		return nil
	}
}

// WithFetchReadTimeout bounds how long Fetch (and FetchMany) waits for the store before it treats the
// read as failed and calls the loader (default DefaultFetchReadTimeout; 0: only the store's own
// budget and the caller's deadline). A hung or failing store thus costs a Fetch at most d on top of the
// load, until the store's circuit breaker opens and the read fails at once. When ctx has a deadline,
// the read also gets at most a quarter of the time left. Raise it for a Redis far away (a read that
// normally takes more than a few milliseconds).
func WithFetchReadTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 {
			return fmt.Errorf("%w: fetch read timeout %v is negative", ErrInvalidTTL, d)
		}
		o.fetchReadTimeout = d
		return nil
	}
}

// WithPolicy sets Fetch's policy for keys whose first segment is kind, replacing the built-in one
// (DefaultPolicies). Environment: REDIS_CACHE_POLICY_<KIND>; URL option: policy.<kind> (ParsePolicy's
// text form, applied over the built-in policy).
func WithPolicy(kind string, p Policy) Option {
	return func(o *options) error {
		if err := keyspace.ValidateSegment(kind); err != nil {
			return fmt.Errorf("cachekit: WithPolicy kind: %w", &keyError{err})
		}
		if err := p.validate(); err != nil {
			return err
		}
		if err := o.claim("policy."+kind, p.String(), fmt.Sprintf("WithPolicy(%q, %s)", kind, p)); err != nil {
			return err
		}
		o.policies[kind] = p
		return nil
	}
}

// WithDefaultPolicy sets Fetch's policy for kinds without one of their own (default: the zero Policy,
// plain read-through).
func WithDefaultPolicy(p Policy) Option {
	return func(o *options) error {
		if err := p.validate(); err != nil {
			return err
		}
		if err := o.claim("policy", p.String(), fmt.Sprintf("WithDefaultPolicy(%s)", p)); err != nil {
			return err
		}
		o.defaultPolicy = p
		return nil
	}
}

// WithClock sets the clock Fetch judges freshness by (default time.Now), for tests. Stores expire
// entries by their own clocks: their TTLs cover the stale windows.
func WithClock(now func() time.Time) Option {
	return func(o *options) error {
		if now == nil {
			return fmt.Errorf("cachekit: WithClock(nil)")
		}
		o.now = now
		return nil
	}
}
