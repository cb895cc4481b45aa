// Command cachekit runs the market-data demo and operates on a cachekit cache from the shell.
//
// Usage:
//
//	cachekit [global flags] <command> [flags] [args]
//
// Commands:
//
//	demo    simulate a trading bot polling market data through the cache, then print a report table
//	        (--report FILE.html: the run as a self-contained page with charts)
//	stats   show the namespace's key count, the backend's stats and hit ratios
//	top     live view: requests/s, hit ratio per kind with sparklines, evictions, memory, breakers
//	        (--metrics URL: an application's /metrics; else the configured store's own figures)
//	keys    list the namespace's keys matching a glob, sorted, one per line (--long: TTL and size)
//	get     print the decoded value of a key as pretty JSON, with its TTL and envelope metadata
//	del     delete keys and print how many existed
//	clear   delete every key of a symbol (--symbol) or of the namespace (--all), after confirmation
//	warm    pre-load ticker, candles, deals and order book of symbols into the cache
//	version print the release, module version and VCS revision (also --version)
//	help    show the help of a command
//
// `go run ./cmd/cachekit demo` needs nothing but Go: the demo uses the in-process memory backend and a
// synthetic market unless told otherwise (--cache redis://..., --live).
//
// # Conventions
//
// Global flags --cache URL (memory://, redis://, rediss://, redis+sentinel://, redis+cluster://,
// tiered://), --namespace, --codec, --metrics-addr and --json may come before the command or after it;
// given on both sides they must agree. Without them the environment is read as the library reads it
// (cachekit.ConfigFromEnv): CACHE_DRIVER, REDIS_URL, REDIS_NAMESPACE, CACHE_CODEC, REDIS_CACHE_TTL,
// REDIS_CACHE_TTL_<KIND>, REDIS_CACHE_POLICY[_<KIND>], CACHE_PLAIN_JSON, CACHE_COMPRESSION,
// CACHEKIT_ENCRYPTION_KEYS and CACHEKIT_ENCRYPTION_REQUIRED. The ops commands (stats, top, keys, get, del, clear, warm) refuse to run when
// none of --cache, REDIS_URL and CACHE_DRIVER is given: they would act on a new, empty in-process store
// (top runs without a store when given --metrics URL).
// A namespace is taken from --namespace, else the URL's ?namespace=, else REDIS_NAMESPACE, else "qrl";
// the demo always uses its own namespace (--namespace, default "demo") so it never touches a bot's keys.
//
// --json on every command prints one JSON document on stdout, whose shape each command's --help
// documents; fields are only ever added. top --json prints one such document per frame, one per line. Usage errors are two lines on stderr: the problem, then a
// "hint:" line. Flags are spelled with two dashes. --quiet shortens long output (clear, keys, warm).
//
// --metrics-addr ADDR serves Prometheus /metrics of the command's cache (package cachekitprom, plus
// the Go runtime and process collectors) while the command runs, on a loopback address only
// (127.0.0.1:PORT, [::1]:PORT, localhost:PORT; anything else is a usage error): the endpoint has no
// authentication. Port 0 picks a free port; the bound address is printed on stderr as
// "metrics: http://127.0.0.1:PORT/metrics". Useful with the demo, or with top to watch the CLI's own
// cache; an application serves its own metrics for "cachekit top --metrics URL".
//
// Ops commands only ever touch keys of the chosen namespace and version, and find keys with SCAN (never
// KEYS), so they are safe on a shared Redis.
//
// # Exit codes
//
// Scripts can rely on these:
//
//	0    success (del and clear succeed when nothing matched)
//	1    runtime error: backend unreachable, upstream failed, a warm item failed, a value undecodable
//	2    usage or configuration error: unknown command, bad flag or argument, invalid URL, key or
//	     environment value, no store configured for an ops command
//	3    not found: get of a key that does not exist
//	4    aborted: clear was not confirmed
//	130  interrupted by SIGINT or SIGTERM (except top: Ctrl-C is how it is stopped, exit 0)
//
// --help (or -h) on any command prints its usage and flags to stdout and exits 0.
//
// # Why the standard flag package
//
// The CLI parses with package flag plus two small pieces of its own (flags among the arguments, global
// flags before the command) rather than a CLI library such as cobra or urfave/cli. cmd/cachekit lives in
// the library's module, so a CLI library would enter the module graph of every program that imports
// cachekit; package flag already gives typed flags, --name=value and --name value, and -h. What a
// library would add — interspersed flags, global flags, "did you mean", consistent errors — is about a
// hundred lines here (flags.go), under this CLI's own rules (one configuration truth: a flag given
// twice must agree; errors as two lines), which a library's defaults would have to be bent to anyway.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	goredis "github.com/redis/go-redis/v9"

	// Backends register their URL schemes when imported.
	_ "github.com/cachekit/cachekit/store/memory"
	_ "github.com/cachekit/cachekit/store/redis"
	_ "github.com/cachekit/cachekit/store/tiered"
)

// Exit codes; see the package documentation.
const (
	exitOK          = 0
	exitError       = 1
	exitUsage       = 2
	exitNotFound    = 3
	exitAborted     = 4
	exitInterrupted = 130
)

func main() {
	// go-redis logs failed dials itself; the command reports the error once, naming the address.
	goredis.SetLogger(quietLogger{})
	ctx, stop := notifyContext(os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// signalled is the cause (context.Cause) of the context's end when one of the signals arrived, so that
// top can tell Ctrl-C, its way to stop (exit 0), from SIGTERM (130, as for every command).
type signalled struct{ sig os.Signal }

func (s signalled) Error() string { return "received " + s.sig.String() }

// notifyContext is signal.NotifyContext with the signal kept as the context's cause (NotifyContext's
// cause only names it in an unexported string error). Its context's Err is context.Canceled, as
// NotifyContext's is; stop ends the notification.
func notifyContext(sigs ...os.Signal) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, sigs...)
	go func() {
		select {
		case s := <-ch:
			cancel(signalled{s})
		case <-ctx.Done():
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		cancel(nil)
	}
}

// terminated reports whether ctx ended because of SIGTERM.
func terminated(ctx context.Context) bool {
	s, ok := errors.AsType[signalled](context.Cause(ctx))
	return ok && s.sig == syscall.SIGTERM
}

// quietLogger discards go-redis' internal log lines.
type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

// run is the whole program without os.Exit: it parses args (without the program name), runs the command
// and returns the exit code. main wires it to the process; tests call it directly.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return newApp(stdin, stdout, stderr).run(ctx, args)
}

// command is one subcommand: its name, argument synopsis, one-line summary, longer description and the
// function that registers its flags and returns what runs it.
type command struct {
	name, args, summary, about string
	setup                      func(a *app, fs *flag.FlagSet) func(ctx context.Context, args []string) error
}

// commands lists the subcommands in the order the help shows them.
func commands() []command {
	return []command{demoCommand(), statsCommand(), topCommand(), keysCommand(), getCommand(), delCommand(), clearCommand(), warmCommand()}
}

func findCommand(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// run dispatches to the command named by the first argument that is not a global flag. Global flags
// (--cache, --namespace, --codec, --json) may come before the command too: they are handed to the command
// as if given after it, so "cachekit --cache URL stats" and "cachekit stats --cache URL" are one thing.
func (a *app) run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(a.stderr, topUsage())
		return exitUsage
	}
	globals, rest, err := splitGlobalFlags(args)
	if err != nil {
		return a.usageError("cachekit", err, "run 'cachekit --help' for the commands and global flags")
	}
	if len(rest) == 0 {
		if slices.Contains(globals, "--version") {
			return a.printVersion(slices.Contains(globals, "--json"))
		}
		if slices.Contains(globals, "--help") {
			fmt.Fprint(a.stdout, topUsage())
			return exitOK
		}
		return a.usageError("cachekit", errors.New("no command given"), "run 'cachekit --help' for the commands")
	}
	name := rest[0]
	if slices.Contains(globals, "--help") {
		rest = append(rest, "--help")
	}
	if slices.Contains(globals, "--version") {
		return a.usageError("cachekit", fmt.Errorf("--version takes no command, got %q", name), "run 'cachekit --version' alone")
	}
	if name == "help" {
		if len(rest) > 1 {
			c, ok := findCommand(rest[1])
			if !ok {
				return a.usageError("cachekit help", fmt.Errorf("unknown command %q", rest[1]), commandsHint())
			}
			fs, _ := a.flagSet(c)
			fmt.Fprint(a.stdout, commandUsage(c, fs))
			return exitOK
		}
		fmt.Fprint(a.stdout, topUsage())
		return exitOK
	}
	if name == "version" {
		rest = append(rest[:1:1], append(globals, rest[1:]...)...)
		return a.versionCommand(rest[1:])
	}
	c, ok := findCommand(name)
	if !ok {
		return a.usageError("cachekit", fmt.Errorf("unknown command %q", name), commandsHint())
	}
	fs, exec := a.flagSet(c)
	pos, err := parseInterspersed(fs, append(slices.Clone(globals), rest[1:]...))
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(a.stdout, commandUsage(c, fs))
		return exitOK
	}
	if err != nil {
		return a.usageError("cachekit "+c.name, flagError(err, fs), fmt.Sprintf("run 'cachekit %s --help' for its flags", c.name))
	}
	err = exec(ctx, pos)
	for i := len(a.atExit) - 1; i >= 0; i-- {
		a.atExit[i]()
	}
	a.atExit = nil
	code := exitCode(ctx, err)
	if err == nil {
		return code
	}
	var ee *exitErr
	hint := ""
	if errors.As(err, &ee) {
		hint = ee.hint
	}
	if code == exitUsage && hint == "" {
		hint = strings.TrimSuffix(synopsis(c), "\n") + fmt.Sprintf(" (cachekit %s --help for the flags)", c.name)
	}
	// The library's errors start with "cachekit: ", which the command's own prefix already says.
	if msg := strings.TrimPrefix(err.Error(), "cachekit: "); msg != "" {
		fmt.Fprintf(a.stderr, "cachekit %s: %s\n", c.name, msg)
	}
	if hint != "" {
		fmt.Fprintf(a.stderr, "hint: %s\n", hint)
	}
	return code
}

// usageError prints the two lines every usage error gets, the problem and a hint, and returns exit 2.
func (a *app) usageError(prefix string, err error, hint string) int {
	fmt.Fprintf(a.stderr, "%s: %v\nhint: %s\n", prefix, err, hint)
	return exitUsage
}

func commandsHint() string {
	return "commands: " + strings.Join(allCommandNames(), ", ") + "; run 'cachekit --help'"
}

func allCommandNames() []string {
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	return append(names, "version", "help")
}

// flagSet builds the command's flag set (errors and help are printed by run, not by package flag).
func (a *app) flagSet(c command) (*flag.FlagSet, func(context.Context, []string) error) {
	fs := flag.NewFlagSet("cachekit "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs, c.setup(a, fs)
}

func topUsage() string {
	var b strings.Builder
	b.WriteString(`cachekit - the cachekit market-data demo and cache operations

usage: cachekit [global flags] <command> [flags] [args]
       cachekit <command> --help
       cachekit --version

commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-7s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(&b, "  %-7s %s\n", "version", "print the release, module version and VCS revision (also --version)")
	fmt.Fprintf(&b, "  %-7s %s\n", "help", "show the help of a command: cachekit help <command>")
	b.WriteString(`
global flags (before or after the command; given twice, they must agree):
  --cache URL        store URL: memory://, redis://host:6379/0, rediss://, redis+sentinel://,
                     redis+cluster://, tiered://; default from the environment. The ops commands
                     (stats, top, keys, get, del, clear, warm) refuse to guess: give --cache, REDIS_URL
                     or CACHE_DRIVER (top --metrics URL needs none); the demo falls back to memory
  --namespace NS     key namespace (default: the URL's ?namespace=, else REDIS_NAMESPACE, else "qrl";
                     the demo uses its own, "demo")
  --codec NAME       json or msgpack, for values written (default: CACHE_CODEC, else json)
  --metrics-addr ADDR
                     serve Prometheus /metrics of the command's cache while it runs, on loopback
                     only: 127.0.0.1:PORT, [::1]:PORT, localhost:PORT (PORT 0: a free one, printed)
  --json             print one JSON document on stdout; its shape is in each command's --help
  --version          print the version and exit
  environment        CACHE_DRIVER (memory|redis|tiered), REDIS_URL, REDIS_NAMESPACE, CACHE_CODEC,
                     REDIS_CACHE_TTL, REDIS_CACHE_TTL_TICKER/_OHLCV/_DEALS/_ORDERBOOK,
                     REDIS_CACHE_POLICY[_KIND], CACHE_PLAIN_JSON, CACHE_COMPRESSION,
                     CACHEKIT_ENCRYPTION_KEYS (never printed), CACHEKIT_ENCRYPTION_REQUIRED

exit codes:
  0    success (del and clear succeed when nothing matched)
  1    runtime error: backend unreachable, upstream failed, a warm item failed, a value undecodable
  2    usage or configuration error: unknown command, bad flag or argument, invalid URL, key or
       environment value, no store configured for an ops command
  3    not found: get of a key that does not exist
  4    aborted: clear was not confirmed
  130  interrupted (SIGINT, SIGTERM); top ends with 0 on Ctrl-C (1 if a source it read never answered)
`)
	return b.String()
}
