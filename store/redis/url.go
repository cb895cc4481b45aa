package redis

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachekit/cachekit/store"
)

// Defaults of the client options a URL-opened Store sets (and the values recommended for New). They bound
// what a dead Redis costs a call: a refused connection fails after (1+MaxRetries) dial attempts with a
// few milliseconds of backoff between them; a server that does not answer at all costs about
// (1+MaxRetries) × DialTimeout (new connections) or ReadTimeout (open ones). go-redis' own defaults
// (5 s timeouts, 3 retries, 5 dial attempts each) would keep a call waiting for seconds.
const (
	// DefaultDialTimeout bounds establishing a connection (URL option dial_timeout).
	DefaultDialTimeout = 500 * time.Millisecond
	// DefaultReadTimeout bounds waiting for a reply (read_timeout).
	DefaultReadTimeout = 500 * time.Millisecond
	// DefaultWriteTimeout bounds writing a command (write_timeout).
	DefaultWriteTimeout = 500 * time.Millisecond
	// DefaultPoolTimeout bounds waiting for a free connection when all are busy (pool_timeout).
	DefaultPoolTimeout = time.Second
	// DefaultMaxRetries is the retries of a failed call (max_retries): one retry transparently replaces a
	// connection broken by a restart or a failover.
	DefaultMaxRetries = 1
)

const (
	defaultMinRetryBackoff = 8 * time.Millisecond
	defaultMaxRetryBackoff = 64 * time.Millisecond
	defaultSentinelPort    = "26379"
)

// Schemes lists the URL schemes this package registers with store.Register.
var Schemes = []string{"redis", "rediss", "unix", "redis+sentinel", "rediss+sentinel", "redis+cluster", "rediss+cluster"}

func init() {
	for _, scheme := range Schemes {
		store.Register(scheme, openURL)
	}
}

// tuning holds the options of ours that a URL may set.
type tuning struct {
	dialTimeout, readTimeout, writeTimeout, poolTimeout time.Duration
	maxRetries, poolSize                                int
}

// config is a parsed URL: exactly one of single, failover and cluster is set.
type config struct {
	single   *goredis.Options
	failover *goredis.FailoverOptions
	cluster  *goredis.ClusterOptions
	opts     Options
	policy   string // eviction_policy, applied by open
	desc     string // String(), password redacted
	endpoint string // address(es) for errors
}

// openURL is the store.Opener of every scheme in Schemes.
func openURL(ctx context.Context, u *url.URL) (store.Store, error) {
	cfg, err := parseURL(u)
	if err != nil {
		return nil, err
	}
	return cfg.open(ctx)
}

// Open opens a Store by URL (see the package documentation for schemes and options). It is what
// store.Open does for these schemes, with the concrete type returned.
func Open(ctx context.Context, rawURL string) (*Store, error) {
	u, err := store.ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	cfg, err := parseURL(u)
	if err != nil {
		return nil, err
	}
	return cfg.open(ctx)
}

// parseURL turns a URL into client options without any I/O. Errors wrap store.ErrInvalidURL and never
// contain the password.
func parseURL(u *url.URL) (*config, error) {
	password, _ := u.User.Password()
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", store.ErrInvalidURL, scrub(fmt.Sprintf(format, args...), password))
	}
	sentinel := strings.HasSuffix(u.Scheme, "+sentinel")
	cluster := strings.HasSuffix(u.Scheme, "+cluster")

	q := store.NewQuery(u.Query())
	t := tuning{
		dialTimeout:  positive(q, "dial_timeout", DefaultDialTimeout),
		readTimeout:  positive(q, "read_timeout", DefaultReadTimeout),
		writeTimeout: positive(q, "write_timeout", DefaultWriteTimeout),
		poolTimeout:  positive(q, "pool_timeout", DefaultPoolTimeout),
		maxRetries:   bounded(q, "max_retries", DefaultMaxRetries, 0, 100),
		poolSize:     bounded(q, "pool_size", 0, 0, 1<<16),
	}
	cfg := &config{opts: Options{
		ScanCount:   bounded(q, "scan_count", DefaultScanCount, 1, 1<<20),
		DeleteBatch: bounded(q, "delete_batch", DefaultDeleteBatch, 1, 1<<20),
		StatsMaxAge: q.Duration("stats_max_age", DefaultStatsMaxAge),
		Pipeline:    pipelineOption(q),

		BreakerFailures: bounded(q, "breaker_failures", DefaultBreakerFailures, 0, 1<<20),
		BreakerProbe:    positive(q, "breaker_probe", DefaultBreakerProbe),
	}}
	cfg.opts.AutoPipeline = cfg.opts.Pipeline == PipelineAlways
	if cfg.opts.StatsMaxAge == 0 {
		cfg.opts.StatsMaxAge = -1 // stats_max_age=0 means "always fetch"; Options uses 0 for "default"
	}
	if cfg.opts.BreakerFailures == 0 {
		cfg.opts.BreakerFailures = -1 // breaker_failures=0 turns the breakers off; Options uses 0 for "default"
	}
	if q.Has("call_timeout") {
		cfg.opts.CallTimeout = positive(q, "call_timeout", 0)
	}
	if cfg.policy = q.String("eviction_policy", ""); cfg.policy != "" {
		if err := validPolicy(cfg.policy); err != nil {
			q.Fail(fmt.Errorf("%w: option eviction_policy: %v", store.ErrInvalidURL, err))
		}
	}
	sentinelAuth := sentinel && q.Bool("sentinel_auth", false)

	// Everything we did not read goes to go-redis, which rejects what it does not know but silently keeps
	// the last of a repeated option: Forward makes a repetition an error (addr is go-redis' one
	// repeatable option, on cluster and sentinel URLs).
	rest := q.Forward("addr")
	if err := q.Done(); err != nil {
		return nil, err
	}
	if err := checkDB(u, rest, sentinel, cluster); err != nil {
		return nil, err
	}

	base, _, _ := strings.Cut(u.Scheme, "+") // "redis", "rediss" or "unix"
	gu := *u
	gu.Scheme, gu.RawQuery, gu.Fragment = base, rest.Encode(), ""
	var err error
	switch {
	case sentinel:
		err = cfg.parseSentinel(u, &gu, rest, sentinelAuth)
	case cluster:
		if strings.Trim(u.Path, "/") != "" {
			return nil, fail("%s: a cluster has no databases, so the URL takes no path (got %q)", u.Scheme, u.Path)
		}
		cfg.cluster, err = goredis.ParseClusterURL(gu.String())
		if err == nil {
			cfg.endpoint = strings.Join(cfg.cluster.Addrs, ",")
		}
	default:
		cfg.single, err = goredis.ParseURL(gu.String())
		if err == nil {
			cfg.endpoint = cfg.single.Addr
		}
	}
	if err != nil {
		return nil, fail("%s: %s", u.Scheme, causeText(err)) // never "redis: redis: ..."
	}
	cfg.apply(t)
	cfg.desc = "redis " + u.Redacted()
	return cfg, nil
}

// parseSentinel reads redis+sentinel://[user:pass@]sentinelhost[:port]/mastername[/db]?addr=host:port.
// The user info authenticates to the master (and to the sentinels too with sentinel_auth=true).
func (cfg *config) parseSentinel(u, gu *url.URL, rest url.Values, sentinelAuth bool) error {
	segs := strings.FieldsFunc(u.Path, func(r rune) bool { return r == '/' })
	if len(segs) == 0 || len(segs) > 2 {
		return fmt.Errorf("path must be /mastername or /mastername/db, got %q", u.Path)
	}
	for _, name := range []string{"master_name", "username", "password", "sentinel_username", "sentinel_password"} {
		if rest.Has(name) {
			return fmt.Errorf("option %s is not accepted: the master name is the path, credentials are the URL's user info", name)
		}
	}
	rest.Set("master_name", segs[0])
	gu.User = nil
	gu.Path = ""
	if len(segs) == 2 {
		gu.Path = "/" + segs[1]
	}
	if u.Port() == "" {
		gu.Host = net.JoinHostPort(u.Hostname(), defaultSentinelPort)
	}
	gu.RawQuery = rest.Encode()
	fo, err := goredis.ParseFailoverURL(gu.String())
	if err != nil {
		return err
	}
	fo.Username = u.User.Username()
	fo.Password, _ = u.User.Password()
	if sentinelAuth {
		fo.SentinelUsername, fo.SentinelPassword = fo.Username, fo.Password
	}
	cfg.failover = fo
	cfg.endpoint = fmt.Sprintf("master %s via sentinel %s", fo.MasterName, strings.Join(fo.SentinelAddrs, ","))
	return nil
}

// knobs points at the fields of the parsed go-redis options that apply and newClient touch. go-redis
// declares them alike in Options, FailoverOptions and ClusterOptions, but those are three unrelated
// struct types with no shared interface or conversion (its own converters are unexported), so the only
// ways to set them once are reflection, which would turn a renamed field into a run-time surprise, or
// taking their addresses once per type, as knobs does: every rule about their values is written once,
// in apply.
type knobs struct {
	dial, read, write, pool, minBackoff, maxBackoff *time.Duration
	maxRetries, poolSize, dialerRetries             *int
	contextTimeout                                  *bool
	password                                        *string
}

// knobs returns the fields of whichever go-redis options the URL produced.
func (cfg *config) knobs() knobs {
	switch {
	case cfg.failover != nil:
		o := cfg.failover
		return knobs{&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.PoolTimeout, &o.MinRetryBackoff, &o.MaxRetryBackoff,
			&o.MaxRetries, &o.PoolSize, &o.DialerRetries, &o.ContextTimeoutEnabled, &o.Password}
	case cfg.cluster != nil:
		o := cfg.cluster
		return knobs{&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.PoolTimeout, &o.MinRetryBackoff, &o.MaxRetryBackoff,
			&o.MaxRetries, &o.PoolSize, &o.DialerRetries, &o.ContextTimeoutEnabled, &o.Password}
	default:
		o := cfg.single
		return knobs{&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.PoolTimeout, &o.MinRetryBackoff, &o.MaxRetryBackoff,
			&o.MaxRetries, &o.PoolSize, &o.DialerRetries, &o.ContextTimeoutEnabled, &o.Password}
	}
}

// apply sets our timeouts and retries on whichever go-redis options the URL produced.
func (cfg *config) apply(t tuning) {
	k := cfg.knobs()
	*k.dial, *k.read, *k.write, *k.pool = t.dialTimeout, t.readTimeout, t.writeTimeout, t.poolTimeout
	*k.maxRetries, *k.poolSize, *k.contextTimeout = t.maxRetries, t.poolSize, true
	if t.maxRetries == 0 {
		*k.maxRetries = -1 // go-redis: 0 means "default (3)", -1 means none
	}
	// Fields go-redis also parses (backoffs, dialer_retries on cluster and sentinel URLs) keep the URL's
	// value when one was given.
	if *k.minBackoff == 0 {
		*k.minBackoff = defaultMinRetryBackoff
	}
	if *k.maxBackoff == 0 {
		*k.maxBackoff = defaultMaxRetryBackoff
	}
	if *k.dialerRetries == 0 {
		*k.dialerRetries = 1 // each retry is one dial; go-redis would dial 5 times per attempt
	}
}

// open creates the client and the Store (which owns it) and applies eviction_policy. Only a done ctx
// fails the open; a refusal or an unreachable server is recorded in Stats.PolicyNote.
func (cfg *config) open(ctx context.Context) (*Store, error) {
	client, err := cfg.newClient()
	if err != nil {
		return nil, err
	}
	s, err := newStore(client, cfg.opts, true, cfg.desc, cfg.endpoint)
	if err != nil {
		_ = client.Close()
		return nil, fmt.Errorf("%w: %v", store.ErrInvalidURL, err)
	}
	if cfg.policy == "" {
		return s, nil
	}
	err = s.EnsureEvictionPolicy(ctx, cfg.policy)
	switch {
	case err == nil, errors.Is(err, ErrPolicyRefused): // a refusal is already in PolicyNote
	case ctx.Err() != nil:
		_ = s.Close()
		return nil, &store.OpError{Op: "open", Backend: backendName, Err: ctx.Err()}
	default:
		note := fmt.Sprintf("eviction_policy=%s not applied at open: %v", cfg.policy, err)
		s.policyNote.Store(&note)
	}
	return s, nil
}

// newClient builds the go-redis client. go-redis panics on some option combinations (a pool size
// beyond int32, route_by_latency on a failover client): those are invalid URLs, reported as errors.
func (cfg *config) newClient() (client goredis.UniversalClient, err error) {
	defer func() {
		if r := recover(); r != nil {
			password := *cfg.knobs().password
			client, err = nil, fmt.Errorf("%w: go-redis rejected the options: %s", store.ErrInvalidURL, scrub(trimRedisPrefix(fmt.Sprint(r)), password))
		}
	}()
	switch {
	case cfg.cluster != nil:
		return goredis.NewClusterClient(cfg.cluster), nil
	case cfg.failover != nil:
		return goredis.NewFailoverClient(cfg.failover), nil
	default:
		return goredis.NewClient(cfg.single), nil
	}
}

// pipelineOption reads pipeline=off|adaptive|always (default adaptive) and its older spelling,
// auto_pipeline=true|false (always|off); given both, they must agree.
func pipelineOption(q *store.Query) PipelineMode {
	name := q.String("pipeline", "")
	mode := PipelineAdaptive
	switch name {
	case "", "adaptive":
	case "off":
		mode = PipelineOff
	case "always":
		mode = PipelineAlways
	default:
		q.Fail(fmt.Errorf("%w: option pipeline=%q: want adaptive, always or off", store.ErrInvalidURL, name))
		return mode
	}
	if !q.Has("auto_pipeline") {
		return mode
	}
	auto := q.Bool("auto_pipeline", false)
	legacy := PipelineOff
	if auto {
		legacy = PipelineAlways
	}
	if name != "" && legacy != mode {
		q.Fail(fmt.Errorf("%w: options auto_pipeline=%v and pipeline=%s disagree; give one of them", store.ErrInvalidURL, auto, name))
	}
	return legacy
}

// positive reads a duration option that must be > 0 (0 would mean go-redis' multi-second default).
func positive(q *store.Query, name string, def time.Duration) time.Duration {
	d := q.Duration(name, def)
	if d == 0 {
		q.Fail(fmt.Errorf("%w: option %s must be a positive duration such as 500ms", store.ErrInvalidURL, name))
		return def
	}
	return d
}

// bounded reads an integer option within [lo, hi].
func bounded(q *store.Query, name string, def, lo, hi int) int {
	n := q.Int(name, def)
	if n < lo || n > hi {
		q.Fail(fmt.Errorf("%w: option %s=%d is out of range [%d, %d]", store.ErrInvalidURL, name, n, lo, hi))
		return def
	}
	return n
}

// scrub removes a password, in every escaping a URL may have given it, from a message.
func scrub(msg, password string) string {
	if password == "" {
		return msg
	}
	for _, p := range []string{password, url.QueryEscape(password), url.PathEscape(password), url.UserPassword("", password).String()[1:]} {
		if p != "" {
			msg = strings.ReplaceAll(msg, p, "xxxxx")
		}
	}
	return msg
}

// checkDB rejects a database given twice that disagrees: in the path ("/5", "/mymaster/5" on Sentinel)
// and in the db option (go-redis would silently take the option). A Cluster has no databases, so the
// option is refused there by name. Equal values are accepted.
func checkDB(u *url.URL, rest url.Values, sentinel, cluster bool) error {
	opt, hasOpt := rest["db"]
	if !hasOpt {
		return nil
	}
	if cluster {
		return fmt.Errorf("%w: %s: option db is not accepted: a cluster has only database 0", store.ErrInvalidURL, u.Scheme)
	}
	segs := strings.FieldsFunc(u.Path, func(r rune) bool { return r == '/' })
	if sentinel && len(segs) > 0 {
		segs = segs[1:] // the master name
	}
	if u.Scheme == "unix" || len(segs) != 1 || len(opt) != 1 {
		return nil // no path database (a unix path is the socket); go-redis reports malformed paths
	}
	pathDB, errPath := strconv.Atoi(segs[0])
	optDB, errOpt := strconv.Atoi(opt[0])
	if errPath != nil || errOpt != nil || pathDB == optDB {
		return nil // go-redis reports a database that is not a number
	}
	return fmt.Errorf("%w: %s: the path selects database %d but option db=%d; give the database once",
		store.ErrInvalidURL, u.Scheme, pathDB, optDB)
}
