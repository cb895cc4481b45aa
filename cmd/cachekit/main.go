// Command cachekit runs the market-data demo and operates on a cachekit cache from the shell.
//
// Usage:
//
//	cachekit <command> [flags] [args]
//
// Commands:
//
//	demo    simulate a trading bot polling market data through the cache, then print a report table
//	stats   show the namespace's key count and the backend's stats (--json for machine use)
//	keys    list the namespace's keys matching a glob, sorted, one per line
//	get     print the decoded value of a key as pretty JSON
//	del     delete keys and print how many existed
//	clear   delete every key of a symbol (--symbol) or of the namespace (--all), after confirmation
//	warm    pre-load ticker, candles, deals and order book of symbols into the cache
//	help    show the help of a command
//
// `go run ./cmd/cachekit demo` needs nothing but Go: the demo uses the in-process memory backend and a
// synthetic market unless told otherwise (--cache redis://..., --live).
//
// # Configuration
//
// Every command takes --cache URL (a store URL: memory://, redis://, rediss://, redis+sentinel://,
// redis+cluster://, tiered://), --namespace and --codec. Without them the environment is read as the
// library reads it (cachekit.ConfigFromEnv): CACHE_DRIVER, REDIS_URL, REDIS_NAMESPACE, CACHE_CODEC,
// REDIS_CACHE_TTL and REDIS_CACHE_TTL_<KIND>. With nothing set the in-process memory backend is used, which
// makes the ops commands see an empty cache (a new process has a new memory cache): they are meant for
// Redis. A namespace is taken from --namespace, else the URL's ?namespace=, else REDIS_NAMESPACE, else
// "qrl"; the demo always uses its own namespace (--namespace, default "demo") so it never touches a bot's
// keys.
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
//	     environment value
//	3    not found: get of a key that does not exist
//	4    aborted: clear was not confirmed
//	130  interrupted by SIGINT or SIGTERM
//
// --help (or -h) on any command prints its usage and flags to stdout and exits 0. An unknown command or a
// bad flag prints the usage to stderr; a bad argument prints the error and the command's synopsis.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
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
	return []command{demoCommand(), statsCommand(), keysCommand(), getCommand(), delCommand(), clearCommand(), warmCommand()}
}

func findCommand(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// run dispatches args[0] to its command.
func (a *app) run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(a.stderr, topUsage())
		return exitUsage
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help", "help":
		if name == "help" && len(args) > 1 {
			c, ok := findCommand(args[1])
			if !ok {
				fmt.Fprintf(a.stderr, "cachekit help: unknown command %q\n\n%s", args[1], topUsage())
				return exitUsage
			}
			fs, _ := a.flagSet(c)
			fmt.Fprint(a.stdout, commandUsage(c, fs))
			return exitOK
		}
		fmt.Fprint(a.stdout, topUsage())
		return exitOK
	}
	c, ok := findCommand(name)
	if !ok {
		fmt.Fprintf(a.stderr, "cachekit: unknown command %q\n\n%s", name, topUsage())
		return exitUsage
	}
	fs, exec := a.flagSet(c)
	rest, err := parseInterspersed(fs, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(a.stdout, commandUsage(c, fs))
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(a.stderr, "cachekit %s: %v\n\n%s", c.name, err, commandUsage(c, fs))
		return exitUsage
	}
	err = exec(ctx, rest)
	code := exitCode(ctx, err)
	switch {
	case err == nil:
	case code == exitUsage:
		fmt.Fprintf(a.stderr, "cachekit %s: %v\n%s(run 'cachekit %s --help' for the flags)\n", c.name, err, synopsis(c), c.name)
	default:
		fmt.Fprintf(a.stderr, "cachekit %s: %v\n", c.name, err)
	}
	return code
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

usage: cachekit <command> [flags] [args]
       cachekit <command> --help

commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-7s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(&b, "  %-7s %s\n", "help", "show the help of a command: cachekit help <command>")
	b.WriteString(`
configuration (every command):
  --cache URL        store URL: memory://, redis://host:6379/0, rediss://, redis+sentinel://,
                     redis+cluster://, tiered://; default from the environment, else memory://
  --namespace NS     key namespace (default: the URL's ?namespace=, else REDIS_NAMESPACE, else "qrl";
                     the demo uses its own, "demo")
  --codec NAME       json or msgpack, for values written (default: CACHE_CODEC, else json)
  environment        CACHE_DRIVER (memory|redis|tiered), REDIS_URL, REDIS_NAMESPACE, CACHE_CODEC,
                     REDIS_CACHE_TTL, REDIS_CACHE_TTL_TICKER/_OHLCV/_DEALS/_ORDERBOOK

exit codes:
  0    success (del and clear succeed when nothing matched)
  1    runtime error: backend unreachable, upstream failed, a warm item failed, a value undecodable
  2    usage or configuration error: unknown command, bad flag or argument, invalid URL, key or
       environment value
  3    not found: get of a key that does not exist
  4    aborted: clear was not confirmed
  130  interrupted (SIGINT, SIGTERM)
`)
	return b.String()
}
