package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/exchange"
	"github.com/cachekit/cachekit/internal/redistest"
)

// buildCLI builds the cachekit binary into a temporary directory and returns its path.
func buildCLI(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is not on PATH: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "cachekit")
	cmd := exec.Command(goTool, "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// binCLI runs the built binary with an environment free of cachekit configuration.
type binCLI struct {
	t   *testing.T
	bin string
	env []string
}

func newBinCLI(t *testing.T, bin string) *binCLI {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "REDIS_") && !strings.HasPrefix(kv, "CACHE_") {
			env = append(env, kv)
		}
	}
	return &binCLI{t: t, bin: bin, env: env}
}

func (b *binCLI) run(stdin string, args ...string) result {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, b.bin, args...)
	cmd.Env = b.env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		b.t.Fatalf("running %v: %v", args, err)
	}
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// TestBinaryAgainstRedis builds the CLI and runs it against a real Redis: keys, get, clear --symbol
// --yes, get of a missing key, plus stats, an unconfirmed clear and the demo, checking output and exit
// codes, and that another namespace and another symbol survive.
func TestBinaryAgainstRedis(t *testing.T) {
	srv := redistest.Standalone(t)
	bin := buildCLI(t)
	ctx := context.Background()
	ns, otherNS := redistest.Namespace(t), redistest.Namespace(t)

	bot, err := cachekit.Open(ctx, srv.URL, cachekit.WithNamespace(ns))
	if err != nil {
		t.Fatal(err)
	}
	defer bot.Close()
	other, err := cachekit.Open(ctx, srv.URL, cachekit.WithNamespace(otherNS))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tick := exchange.Ticker{Symbol: "QRL/USDT", Last: decimal.RequireFromString("0.012345678901234567"),
		Time: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
	seed(t, bot, tick, "ticker:QRL/USDT", "ohlcv:QRL/USDT:1d:120", "deals:QRL/USDT:20", "ticker:BTC/USDT", "ticker:QRL/USDT2")
	seed(t, other, tick, "ticker:QRL/USDT")

	cli := newBinCLI(t, bin)
	flags := []string{"--cache", srv.URL, "--namespace", ns}
	with := func(args ...string) []string { return append(args, flags...) }

	// keys: the namespace's keys only, sorted, relative.
	r := cli.run("", with("keys")...).expect(t, exitOK)
	want := []string{"deals:QRL/USDT:20", "ohlcv:QRL/USDT:1d:120", "ticker:BTC/USDT", "ticker:QRL/USDT", "ticker:QRL/USDT2"}
	if got := lines(r.stdout); !slices.Equal(got, want) {
		t.Fatalf("keys: %q, want %q", got, want)
	}
	r = cli.run("", with("keys", "ticker:QRL*")...).expect(t, exitOK)
	if got := lines(r.stdout); !slices.Equal(got, []string{"ticker:QRL/USDT", "ticker:QRL/USDT2"}) {
		t.Fatalf("keys ticker:QRL*: %q", got)
	}

	// get: decoded, exact, pretty.
	r = cli.run("", with("get", "ticker:QRL/USDT")...).expect(t, exitOK)
	var got exchange.Ticker
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("get output: %v\n%s", err, r.stdout)
	}
	if got.Last.String() != "0.012345678901234567" || got.Symbol != "QRL/USDT" || !got.Time.Equal(tick.Time) {
		t.Fatalf("get: %+v", got)
	}
	if !strings.Contains(r.stdout, "\n  \"last\": 0.012345678901234567,") { // CCXT's shape: exact digits, a JSON number
		t.Fatalf("get output not pretty or not exact:\n%s", r.stdout)
	}

	// stats --json sees the namespace's five keys.
	r = cli.run("", with("stats", "--json")...).expect(t, exitOK)
	var st statsJSON
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatalf("stats --json: %v\n%s", err, r.stdout)
	}
	if st.NamespaceKeys != 5 || st.Store.Backend != "redis" || st.Namespace != ns+":v1:" {
		t.Fatalf("stats: %+v", st)
	}

	// clear without confirmation deletes nothing.
	r = cli.run("n\n", with("clear", "--symbol", "QRL/USDT")...).expect(t, exitAborted)
	if r.stdout != "" || !exists(t, bot, "ticker:QRL/USDT") {
		t.Fatalf("unconfirmed clear: stdout %q", r.stdout)
	}

	// clear --symbol --yes deletes the symbol's keys of this namespace only, and says which.
	r = cli.run("", with("clear", "--symbol", "QRL/USDT", "--yes")...).expect(t, exitOK)
	wantOut := []string{"deals:QRL/USDT:20", "ohlcv:QRL/USDT:1d:120", "ticker:QRL/USDT", "deleted 3"}
	if got := lines(r.stdout); !slices.Equal(got, wantOut) {
		t.Fatalf("clear: %q, want %q", got, wantOut)
	}
	for _, k := range []string{"ticker:BTC/USDT", "ticker:QRL/USDT2"} {
		if !exists(t, bot, k) {
			t.Errorf("clear --symbol QRL/USDT deleted %s", k)
		}
	}
	if !exists(t, other, "ticker:QRL/USDT") {
		t.Error("clear reached another namespace")
	}

	// get of the now missing key: message on stderr, exit 3.
	r = cli.run("", with("get", "ticker:QRL/USDT")...).expect(t, exitNotFound)
	if r.stdout != "" || !strings.Contains(r.stderr, "not found") {
		t.Fatalf("missing key: stdout %q stderr %q", r.stdout, r.stderr)
	}
	r = cli.run("", with("keys")...).expect(t, exitOK)
	if got := lines(r.stdout); !slices.Equal(got, []string{"ticker:BTC/USDT", "ticker:QRL/USDT2"}) {
		t.Fatalf("keys after clear: %q", got)
	}

	// del prints the count; a bad flag is a usage error.
	r = cli.run("", with("del", "ticker:BTC/USDT", "ticker:NONE/USDT")...).expect(t, exitOK)
	if r.stdout != "deleted 1\n" {
		t.Fatalf("del: %q", r.stdout)
	}
	cli.run("", with("keys", "--bogus")...).expect(t, exitUsage)

	// The demo runs against Redis in its own namespace and removes what it wrote.
	demoNS := redistest.Namespace(t)
	r = cli.run("", "demo", "--cache", srv.URL, "--namespace", demoNS, "--duration", "1s", "--latency", "1ms", "--jitter", "1ms").
		expect(t, exitOK)
	if rows := parseDemoTable(t, r.stdout); rows["ticker"].fromCache <= 0 || rows["total"].requests == 0 {
		t.Fatalf("demo on Redis:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, "backend: redis") {
		t.Errorf("demo does not report the redis backend:\n%s", r.stdout)
	}
	r = cli.run("", "keys", "--cache", srv.URL, "--namespace", demoNS).expect(t, exitOK)
	if r.stdout != "" {
		t.Errorf("the demo left keys in Redis: %q", r.stdout)
	}
	if !exists(t, other, "ticker:QRL/USDT") || !exists(t, bot, "ticker:QRL/USDT2") {
		t.Error("the demo touched other namespaces")
	}
}
