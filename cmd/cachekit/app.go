package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/codec"
	"github.com/cachekit/cachekit/exchange"
	"github.com/cachekit/cachekit/keyspace"
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

// exitErr carries an explicit exit code; the message is printed unless it is empty.
type exitErr struct {
	code int
	err  error
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

// cacheFlags are the configuration flags every command takes.
type cacheFlags struct {
	url, namespace, codec string
	// fixedNamespace, when set, is the namespace used unless --namespace is given: the environment and
	// the URL are not consulted (the demo's own namespace).
	fixedNamespace string
}

func (cf *cacheFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&cf.url, "cache", "", "store `URL` (memory://, redis://host:6379/0, ...); default from CACHE_DRIVER/REDIS_URL, else memory://")
	nsHelp := "key `namespace` (default: the URL's ?namespace=, else REDIS_NAMESPACE, else qrl)"
	if cf.fixedNamespace != "" {
		nsHelp = "key `namespace` of the demo's entries (REDIS_NAMESPACE is ignored)"
		cf.namespace = cf.fixedNamespace
	}
	fs.StringVar(&cf.namespace, "namespace", cf.namespace, nsHelp)
	fs.StringVar(&cf.codec, "codec", "", "`codec` for values written: json or msgpack (default: CACHE_CODEC, else json)")
}

// open opens the Cache the flags and the environment select. Precedence for each setting: flag, then the
// URL's query option, then the environment, then the library default. TTLs come from the environment.
func (cf *cacheFlags) open(ctx context.Context, a *app) (*cachekit.Cache, error) {
	cfg, err := cachekit.ConfigFromLookup(a.lookupEnv)
	if err != nil {
		return nil, &exitErr{code: exitUsage, err: fmt.Errorf("environment: %w", err)}
	}
	rawURL := cf.url
	var inURL url.Values
	if rawURL == "" {
		rawURL = cfg.StoreURL()
	} else if u, err := url.Parse(rawURL); err == nil {
		inURL = u.Query()
	}
	opts := []cachekit.Option{cachekit.WithDefaultTTL(cfg.DefaultTTL)}
	for kind, d := range cfg.KindTTLs {
		opts = append(opts, cachekit.WithKindTTL(kind, d))
	}
	switch _, envNS := a.lookupEnv(cachekit.EnvNamespace); {
	case cf.namespace != "":
		opts = append(opts, cachekit.WithNamespace(cf.namespace))
	case inURL.Has("namespace"):
	case envNS:
		opts = append(opts, cachekit.WithNamespace(cfg.Namespace))
	}
	switch _, envCodec := a.lookupEnv(cachekit.EnvCodec); {
	case cf.codec != "":
		c, err := codec.ByName(cf.codec)
		if err != nil {
			return nil, usageErrorf("--codec: %v", err)
		}
		opts = append(opts, cachekit.WithCodec(c))
	case inURL.Has("codec"):
	case envCodec:
		c, _ := codec.ByName(cfg.Codec) // validated by ConfigFromLookup
		opts = append(opts, cachekit.WithCodec(c))
	}
	return a.openCache(ctx, rawURL, opts...)
}
