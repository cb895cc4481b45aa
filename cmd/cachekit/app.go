package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/codec"
	"github.com/cachekit/cachekit/exchange"
	"github.com/cachekit/cachekit/keyspace"
	"github.com/cachekit/cachekit/store"
)

// app holds what a command needs from its surroundings, so tests can run commands in-process.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// lookupEnv reads configuration variables (os.LookupEnv in production).
	lookupEnv func(string) (string, bool)
	// openCache opens a Cache by URL (cachekit.Open in production).
	openCache func(ctx context.Context, rawURL string, opts ...cachekit.Option) (*cachekit.Cache, error)
	// stderrTTY says whether progress may redraw a line in place.
	stderrTTY bool
	// atExit runs when the command has returned, last added first (the --metrics-addr server).
	atExit []func()
}

func newApp(stdin io.Reader, stdout, stderr io.Writer) *app {
	return &app{
		stdin:     stdin,
		stdout:    stdout,
		stderr:    stderr,
		lookupEnv: os.LookupEnv,
		openCache: cachekit.Open,
		stderrTTY: isTerminal(stderr),
	}
}

// isTerminal reports whether w is a character device (a terminal), without a dependency.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// exitErr carries an explicit exit code and an optional hint line; the message is printed unless it
// is empty.
type exitErr struct {
	code int
	err  error
	hint string // printed as "hint: ..." after the message
}

func (e *exitErr) Error() string { return e.err.Error() }
func (e *exitErr) Unwrap() error { return e.err }

// usageErrorf reports bad arguments: exit 2, with the command's usage.
func usageErrorf(format string, args ...any) error {
	return &exitErr{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// exitCode maps a command's error to the process exit code. Invalid input of any kind (URL, key, pattern,
// TTL, codec, symbol, limit, timeframe) is a usage error; a signal is 130; anything else is 1.
func exitCode(ctx context.Context, err error) int {
	var ee *exitErr
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.Is(err, cachekit.ErrInvalidURL), errors.Is(err, cachekit.ErrInvalidKey),
		errors.Is(err, keyspace.ErrInvalidKey),
		errors.Is(err, cachekit.ErrInvalidTTL), errors.Is(err, codec.ErrUnknownCodec),
		errors.Is(err, exchange.ErrInvalidSymbol), errors.Is(err, exchange.ErrInvalidLimit),
		errors.Is(err, exchange.ErrUnknownTimeframe):
		return exitUsage
	}
	return exitError
}

// usageHintf is a usage error with a hint line of its own instead of the command's synopsis.
func usageHintf(hint, format string, args ...any) error {
	return &exitErr{code: exitUsage, err: fmt.Errorf(format, args...), hint: hint}
}

// cacheFlags are the configuration flags every command takes.
type cacheFlags struct {
	url, namespace, codec string
	// fixedNamespace, when set, is the namespace used unless --namespace is given: REDIS_NAMESPACE and
	// the URL's ?namespace= are not consulted (the demo's own namespace, so it never touches the bot's).
	fixedNamespace string
	// ops marks an operations command: it refuses an implicit in-process store (see open).
	ops bool
	// target is the store URL open resolved, for describing where a command acts (set by open).
	target string
	// metricsAddr is --metrics-addr: serve the opened Cache's metrics there while the command runs.
	metricsAddr string
}

func (cf *cacheFlags) register(fs *flag.FlagSet) {
	fs.Var(&onceValue{name: "cache", value: &cf.url}, "cache", "store `URL` (memory://, redis://host:6379/0, ...); default from CACHE_DRIVER/REDIS_URL")
	nsHelp := "key namespace `NS` (default: REDIS_NAMESPACE or the URL's ?namespace=, else qrl; they must agree)"
	if cf.fixedNamespace != "" {
		nsHelp = "key namespace `NS` of the demo's entries (REDIS_NAMESPACE is ignored)"
		cf.namespace = cf.fixedNamespace
	}
	fs.Var(&onceValue{name: "namespace", value: &cf.namespace}, "namespace", nsHelp)
	fs.Var(&onceValue{name: "codec", value: &cf.codec}, "codec", "`NAME` of the codec for values written: json or msgpack (default: CACHE_CODEC, else json)")
	fs.Var(&onceValue{name: "metrics-addr", value: &cf.metricsAddr}, "metrics-addr",
		"serve Prometheus /metrics of this command's cache on loopback `ADDR` (127.0.0.1:9091, [::1]:0, localhost:0) while it runs")
}

// configured reports whether a store is given explicitly (--cache, REDIS_URL or CACHE_DRIVER).
func (cf *cacheFlags) configured(a *app) bool {
	return cf.url != "" || isSet(a.lookupEnv, cachekit.EnvURL) || isSet(a.lookupEnv, cachekit.EnvDriver)
}

// implicitStoreHint says how to give an ops command the store it refuses to guess.
const implicitStoreHint = "point it at Redis: --cache redis://HOST:6379/0 (or REDIS_URL=redis://HOST:6379/0); " +
	"--cache memory:// inspects an empty in-process store on purpose"

// open opens the Cache the flags and the environment select, by the library's one precedence rule
// (cachekit.Labeled): a flag, an environment variable and a URL option that give one setting must agree,
// else it is a usage error naming both. --cache and REDIS_URL must agree too when both are set.
func (cf *cacheFlags) open(ctx context.Context, a *app) (*cachekit.Cache, error) {
	lookup := a.lookupEnv
	if cf.fixedNamespace != "" {
		lookup = func(name string) (string, bool) {
			if name == cachekit.EnvNamespace {
				return "", false
			}
			return a.lookupEnv(name)
		}
	}
	cfg, err := cachekit.ConfigFromLookup(lookup)
	if err != nil {
		return nil, &exitErr{code: exitUsage, err: fmt.Errorf("environment: %w", err)}
	}
	rawURL := cfg.StoreURL()
	if cf.ops && !cf.configured(a) {
		// A new process has a new, empty memory store: keys, stats, get and clear on it would report
		// "nothing" about a cache that is elsewhere, and warm would fill a store that ends with the process.
		return nil, usageHintf(implicitStoreHint,
			"no cache configured (no --cache, REDIS_URL or CACHE_DRIVER): this would act on a new, empty in-process store")
	}
	if cf.url != "" {
		if env, ok := a.lookupEnv(cachekit.EnvURL); ok && env != "" && env != cf.url {
			return nil, usageHintf(overrideHint(cachekit.EnvURL), "the store is given twice: --cache=%s and %s=%s",
				store.Redact(cf.url), cachekit.EnvURL, store.Redact(env))
		}
		rawURL = cf.url
		cfg.URL = "" // the URL's own options come with --cache
	}
	if cf.fixedNamespace != "" {
		cfg.Namespace = "" // REDIS_URL's ?namespace= is the bot's, not the demo's
		rawURL = withoutQueryOption(rawURL, "namespace")
	}
	opts, err := cfg.Options()
	if err != nil {
		return nil, &exitErr{code: exitUsage, err: fmt.Errorf("environment: %w", err)}
	}
	if cf.namespace != "" {
		opts = append(opts, cachekit.Labeled("--namespace="+cf.namespace, cachekit.WithNamespace(cf.namespace)))
	}
	if cf.codec != "" {
		c, err := codec.ByName(cf.codec)
		if err != nil {
			return nil, usageErrorf("--codec: %v", err)
		}
		opts = append(opts, cachekit.Labeled("--codec="+cf.codec, cachekit.WithCodec(c)))
	}
	var listen string
	if cf.metricsAddr != "" {
		if listen, err = loopbackAddr(cf.metricsAddr); err != nil {
			return nil, usageHintf(metricsAddrHint, "%v", err)
		}
	}
	cf.target = rawURL
	c, err := a.openCache(ctx, rawURL, opts...)
	switch {
	case errors.Is(err, cachekit.ErrConflict):
		return nil, &exitErr{code: exitUsage, err: err, hint: cf.conflictHint(a)}
	case errors.Is(err, cachekit.ErrInvalidURL):
		return nil, &exitErr{code: exitUsage, err: err, hint: urlOptionsHint(rawURL)}
	}
	if err != nil || listen == "" {
		return c, err
	}
	srv, err := serveMetrics(listen, c, a.stderr)
	if err != nil {
		c.Close()
		return nil, err
	}
	a.atExit = append(a.atExit, srv.stop)
	return c, nil
}

// urlOptionsHint names where the options of rawURL's scheme are documented: the store's package, and
// the root package for the Cache's own (namespace, ttl, codec, policy); for an address without a
// scheme, the URL it probably meant. "" (the usage line) for a scheme cachekit does not know, whose
// error lists the known ones.
func urlOptionsHint(rawURL string) string {
	scheme, _, ok := strings.Cut(rawURL, "://")
	if !ok {
		return "a store URL starts with its scheme, e.g. redis://" + store.Redact(rawURL)
	}
	var pkg string
	switch strings.ToLower(scheme) {
	case "memory":
		pkg = "store/memory"
	case "tiered":
		pkg = "store/tiered (its l1 and l2 URLs: their stores' packages)"
	case "redis", "rediss", "unix", "redis+sentinel", "rediss+sentinel", "redis+cluster", "rediss+cluster":
		pkg = "store/redis"
	default:
		return ""
	}
	return fmt.Sprintf("the URL options are documented in: go doc github.com/cachekit/cachekit/%s (and the Cache's own: go doc github.com/cachekit/cachekit Open)", pkg)
}

// conflictHint tells how to run one command against other settings than the environment's when a flag
// given (--namespace, --codec) differs from its environment variable; "" (the usage line) otherwise: the
// conflict is then between the environment or a flag and a URL.
func (cf *cacheFlags) conflictHint(a *app) string {
	differs := func(flag, name string) bool {
		env, ok := a.lookupEnv(name)
		return flag != "" && ok && strings.TrimSpace(env) != "" && strings.TrimSpace(env) != flag
	}
	switch {
	case cf.fixedNamespace == "" && differs(cf.namespace, cachekit.EnvNamespace):
		return overrideHint(cachekit.EnvNamespace)
	case differs(cf.codec, cachekit.EnvCodec):
		return overrideHint(cachekit.EnvCodec)
	}
	return ""
}

// overrideHint explains why a flag does not silently beat the environment variable name, and how to
// set it aside for one command.
func overrideHint(name string) string {
	return "flags must agree with the environment, so that a command acts where the bot does; " +
		"to act elsewhere, run it without " + name + ": env -u " + name + " cachekit ..."
}

// isSet reports whether the environment variable is set to something other than blanks.
func isSet(lookup func(string) (string, bool), name string) bool {
	v, ok := lookup(name)
	return ok && strings.TrimSpace(v) != ""
}

// withoutQueryOption removes one query option from a URL (the demo's namespace replaces the URL's).
func withoutQueryOption(rawURL, name string) string {
	u, err := url.Parse(rawURL)
	if err != nil || !u.Query().Has(name) {
		return rawURL
	}
	q := u.Query()
	q.Del(name)
	u.RawQuery = q.Encode()
	return u.String()
}
