package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"maps"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/codec"
	"github.com/cachekit/cachekit/exchange"
)

// jsonKeys decodes one JSON object and returns its top-level field names, sorted.
func jsonKeys(t *testing.T, what, out string) ([]string, map[string]any) {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(out))
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("%s: stdout is not one JSON object: %v\n%s", what, err, out)
	}
	if dec.More() {
		t.Fatalf("%s: more than one JSON document on stdout:\n%s", what, out)
	}
	keys := slices.Sorted(maps.Keys(m))
	return keys, m
}

func sortedOf(s ...string) []string { sort.Strings(s); return s }

// cliCase is one command of the table, with the arguments that make it print data and the exact set
// of top-level fields its --json output has.
type cliCase struct {
	name   string
	args   []string // after the command name, without --json
	code   int      // exit code of the run (with --json and without)
	fields []string // top-level JSON fields, exactly
	ops    bool     // refuses to run without a configured store
}

func cliTable() []cliCase {
	demo := []string{"--duration", "300ms", "--latency", "0", "--jitter", "0", "--symbols", "QRL/USDT", "--no-progress"}
	return []cliCase{
		{"demo", demo, exitOK, sortedOf("symbols", "duration_ms", "upstream", "cache", "namespace", "kinds", "total", "cached", "seconds", "removed", "kept"), false},
		{"stats", nil, exitOK, sortedOf("namespace", "namespace_keys", "namespace_keys_capped", "store"), true},
		{"top", []string{"--count", "1", "--interval", "50ms"}, exitOK, sortedOf("time", "frame", "interval_ms", "namespace", "metrics", "store"), true},
		{"keys", []string{"ticker:*"}, exitOK, sortedOf("namespace", "count", "truncated", "keys"), true},
		{"get", []string{"ticker:QRL/USDT"}, exitOK, sortedOf("key", "full_key", "ttl_ms", "size", "meta", "value"), true},
		{"del", []string{"ticker:NONE/USDT"}, exitOK, sortedOf("deleted"), true},
		{"clear", []string{"--symbol", "NONE/USDT", "--yes"}, exitOK, sortedOf("target", "namespace", "symbol", "matched", "deleted", "keys"), true},
		{"warm", []string{"--symbols", "QRL/USDT", "--timeframes", "1d", "--latency", "0", "--jitter", "0", "--quiet"}, exitOK, sortedOf("success", "failed", "skipped", "errors"), true},
		{"version", nil, exitOK, sortedOf("version", "module", "module_version", "revision", "revision_time", "modified", "go"), false},
	}
}

// TestCLITable runs every command with --json, with a global flag before and after the command, with a
// bad flag and without any configuration, checking exit codes and output shapes exactly.
func TestCLITable(t *testing.T) {
	for _, tc := range cliTable() {
		t.Run(tc.name+"/json", func(t *testing.T) {
			c := newCLI(t).withSharedMemory()
			seedMarket(t, c)
			r := c.run("", append(append([]string{tc.name}, tc.args...), "--json")...).expect(t, tc.code)
			got, _ := jsonKeys(t, tc.name, r.stdout)
			if !slices.Equal(got, tc.fields) {
				t.Fatalf("--json fields %q, want %q", got, tc.fields)
			}
		})
		t.Run(tc.name+"/global-flag-before-and-after", func(t *testing.T) {
			if tc.name == "version" {
				return // takes no cache flags: its own case below
			}
			c := newCLI(t).withSharedMemory()
			seedMarket(t, c)
			after := c.run("", append(append([]string{tc.name}, tc.args...), "--json", "--namespace", "other")...).expect(t, tc.code)
			before := c.run("", append([]string{"--namespace", "other", "--json", tc.name}, tc.args...)...).expect(t, tc.code)
			_, a := jsonKeys(t, "after", after.stdout)
			_, b := jsonKeys(t, "before", before.stdout)
			ns := "other:v1:"
			for i, m := range []map[string]any{a, b} {
				got := m["namespace"]
				if tc.name == "get" {
					got = strings.TrimSuffix(m["full_key"].(string), "ticker:QRL/USDT")
				}
				if tc.name == "del" || tc.name == "warm" {
					continue // no namespace in the output: checked through the keys below
				}
				if got != ns {
					t.Errorf("namespace %v, want %s (flag before: %v)", got, ns, i == 1)
				}
			}
			if tc.name == "warm" && !exists(t, c.cache("other"), "ticker:QRL/USDT") {
				t.Error("warm with a global --namespace did not write to it")
			}
			// A global flag given on both sides must agree.
			r := c.run("", append([]string{"--namespace", "a", tc.name}, append(tc.args, "--namespace", "b")...)...).expect(t, exitUsage)
			if got := lines(r.stderr); len(got) != 2 || !strings.Contains(got[0], "--namespace") || !strings.Contains(got[0], "given twice") {
				t.Errorf("conflicting global flag: stderr %q", got)
			}
		})
		t.Run(tc.name+"/bad-flag", func(t *testing.T) {
			for _, args := range [][]string{{tc.name, "--no-such-flag"}, {"--no-such-flag", tc.name}} {
				r := newCLI(t).withSharedMemory().run("", args...).expect(t, exitUsage)
				got := lines(r.stderr)
				if r.stdout != "" || len(got) != 2 || !strings.Contains(got[0], "--no-such-flag") || !strings.HasPrefix(got[1], "hint: ") {
					t.Errorf("%q: stdout %q stderr %q: want one line naming the flag and a hint", args, r.stdout, got)
				}
			}
		})
		t.Run(tc.name+"/missing-config", func(t *testing.T) {
			c := newCLI(t) // no --cache, REDIS_URL or CACHE_DRIVER
			r := c.run("", append([]string{tc.name}, tc.args...)...)
			if !tc.ops {
				r.expect(t, exitOK) // the demo and version need no configuration
				return
			}
			r.expect(t, exitUsage)
			got := lines(r.stderr)
			if r.stdout != "" || len(got) != 2 || !strings.Contains(got[0], "no cache configured") ||
				!strings.Contains(got[1], "--cache redis://") || !strings.Contains(got[1], "REDIS_URL") {
				t.Errorf("stdout %q stderr %q: want a refusal saying how to point it at Redis", r.stdout, got)
			}
			// An explicit in-process store is the user's choice.
			c.run("", append([]string{tc.name, "--cache", "memory://"}, tc.args...)...)
		})
	}
}

func TestVersion(t *testing.T) {
	r := newCLI(t).run("", "--version").expect(t, exitOK)
	if !strings.HasPrefix(r.stdout, "cachekit 0.1.0 (module github.com/cachekit/cachekit") || len(lines(r.stdout)) != 1 {
		t.Fatalf("--version: %q", r.stdout)
	}
	for _, args := range [][]string{{"--version", "--json"}, {"--json", "--version"}, {"version", "--json"}, {"--json", "version"}} {
		r := newCLI(t).run("", args...).expect(t, exitOK)
		var v versionJSON
		if err := json.Unmarshal([]byte(r.stdout), &v); err != nil || v.Version != "0.1.0" || v.Module != "github.com/cachekit/cachekit" || v.Go == "" {
			t.Errorf("%q: %+v (%v)", args, v, err)
		}
	}
	newCLI(t).run("", "--version", "keys").expect(t, exitUsage)
	newCLI(t).run("", "version", "extra").expect(t, exitUsage)
}

func TestClearSymbolIsNormalisedAndQuiet(t *testing.T) {
	c := newCLI(t).withSharedMemory()
	qrl := seedMarket(t, c)
	r := c.run("y\n", "clear", "--symbol", "qrl/usdt", "--quiet").expect(t, exitOK)
	if r.stdout != "deleted 3\n" {
		t.Fatalf("--quiet: stdout %q, want only the count", r.stdout)
	}
	if !strings.Contains(r.stderr, "reading symbol qrl/usdt as QRL/USDT") {
		t.Errorf("no note on the normalised symbol: %q", r.stderr)
	}
	// The prompt names the server, the namespace and the count.
	if !strings.Contains(r.stderr, "about to delete 3 keys: the keys of symbol QRL/USDT in namespace qrl:v1: on in-process memory") {
		t.Errorf("prompt: %q", r.stderr)
	}
	for _, k := range qrl {
		if exists(t, c.cache("qrl"), k) {
			t.Errorf("%s survived", k)
		}
	}
	// A symbol without its slash matches nothing: the hint gives the stored spelling.
	for in, hint := range map[string]string{
		"qrlusdt":  "hint: symbols are stored as BASE/QUOTE in upper case, e.g. --symbol QRL/USDT\n",
		"qrl_usdt": "hint: symbols are stored as BASE/QUOTE: cachekit clear --symbol QRL/USDT\n",
	} {
		r = c.run("", "clear", "--symbol", in, "--yes").expect(t, exitOK)
		if r.stdout != "deleted 0\n" || !strings.HasSuffix(r.stderr, hint) {
			t.Errorf("clear --symbol %s: stdout %q, stderr %q; want deleted 0 and %q", in, r.stdout, r.stderr, hint)
		}
	}
	seedMarket(t, c)
	r = c.run("", "clear", "--all", "--yes", "--json", "--quiet").expect(t, exitOK)
	var res clearJSON
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || res.Matched != 6 || res.Deleted != 6 || len(res.Keys) != 0 || res.Symbol != "" {
		t.Fatalf("clear --all --json --quiet: %+v (%v)", res, err)
	}
}

func TestGetSuggestsTheRelativeKey(t *testing.T) {
	c := newCLI(t).withSharedMemory()
	seedMarket(t, c)
	for _, tc := range []struct{ key, hint string }{
		{"qrl:v1:ticker:QRL/USDT", "hint: that looks like a full key; keys are relative to the namespace: cachekit get ticker:QRL/USDT"},
		{"qrl:v1:ticker:qrl/usdt", "hint: that looks like a full key; keys are relative to the namespace: cachekit get ticker:QRL/USDT"},
		{"other:v1:ticker:QRL/USDT", "hint: that looks like the full key of namespace other, version v1: cachekit get ticker:QRL/USDT --namespace other"},
		{"ticker:qrl/usdt", "hint: symbols are stored upper case: cachekit get ticker:QRL/USDT"},
		{"qrl:v2:ticker:QRL/USDT", "hint: that looks like a full key of version v2, and this namespace reads qrl:v1:"},
	} {
		r := c.run("", "get", tc.key).expect(t, exitNotFound)
		if got := lines(r.stderr); len(got) != 2 || got[1] != tc.hint {
			t.Errorf("get %s: stderr %q, want the hint %q", tc.key, got, tc.hint)
		}
	}
	r := c.run("", "get", "ticker:NONE/USDT").expect(t, exitNotFound)
	if len(lines(r.stderr)) != 1 {
		t.Errorf("a plain miss gets no hint: %q", r.stderr)
	}
}

// del and keys give get's hints for a full key or a lower-case symbol that matched nothing, on stderr,
// with their exit codes and stdout unchanged; a key deleted, or a plain miss, gets none.
func TestDelAndKeysSuggestTheRelativeKey(t *testing.T) {
	c := newCLI(t).withSharedMemory()
	seedMarket(t, c)
	r := c.run("", "del", "qrl:v1:ticker:QRL/USDT", "ticker:qrl/usdt", "ticker:NONE/USDT").expect(t, exitOK)
	want := []string{
		"hint: qrl:v1:ticker:QRL/USDT: that looks like a full key; keys are relative to the namespace: cachekit del ticker:QRL/USDT",
		"hint: ticker:qrl/usdt: symbols are stored upper case: cachekit del ticker:QRL/USDT",
	}
	if r.stdout != "deleted 0\n" || !slices.Equal(lines(r.stderr), want) {
		t.Errorf("del of a full key and a lower-case symbol: stdout %q, stderr %q; want deleted 0 and %q", r.stdout, lines(r.stderr), want)
	}
	r = c.run("", "del", "ticker:QRL/USDT").expect(t, exitOK)
	if r.stdout != "deleted 1\n" || r.stderr != "" {
		t.Errorf("del of a key: stdout %q, stderr %q", r.stdout, r.stderr)
	}
	r = c.run("", "keys", "qrl:v1:ohlcv:*").expect(t, exitOK)
	if got := lines(r.stderr); r.stdout != "" || len(got) != 1 || got[0] != "hint: that looks like a full key; keys are relative to the namespace: cachekit keys 'ohlcv:*'" {
		t.Errorf("keys of a full pattern: stdout %q, stderr %q", r.stdout, got)
	}
	r = c.run("", "keys", "nothing:*").expect(t, exitOK)
	if r.stderr != "" {
		t.Errorf("keys matching nothing gets no hint: %q", r.stderr)
	}
}

func TestGetShowsTTLAndMetadata(t *testing.T) {
	c := newCLI(t).withSharedMemory()
	bot := c.cache("qrl")
	// Fetch writes the envelope's times (written at, fresh until); the write happens behind the call.
	ctx := context.Background()
	if _, err := cachekit.Fetch(ctx, bot, "ticker:QRL/USDT", 0, func(context.Context) (exchange.Ticker, error) {
		return exchange.Ticker{Symbol: "QRL/USDT"}, nil
	}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); !exists(t, bot, "ticker:QRL/USDT"); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("Fetch's write never landed")
		}
	}
	r := c.run("", "get", "ticker:QRL/USDT").expect(t, exitOK)
	for _, want := range []string{"# key:        qrl:v1:ticker:QRL/USDT\n", "# ttl:        ", "# codec:      json\n", "# written at: ", "# fresh until: "} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("metadata lacks %q:\n%s", want, r.stderr)
		}
	}
	if _, m := jsonKeys(t, "value", r.stdout); m["symbol"] != "QRL/USDT" {
		t.Errorf("stdout is not the value alone: %s", r.stdout)
	}
	r = c.run("", "get", "ticker:QRL/USDT", "--json").expect(t, exitOK)
	var g struct {
		getJSON
		Value map[string]any `json:"value"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &g); err != nil {
		t.Fatal(err)
	}
	// Seeded with the ticker's 5 s TTL; the store keeps it for its stale window on top.
	if g.TTLMs <= 0 || g.Size <= 0 || g.Meta.Codec != "json" || !g.Meta.Enveloped || g.Meta.WrittenAt == nil || g.Meta.Stale {
		t.Errorf("get --json: %+v", g.getJSON)
	}
	if g.Value["symbol"] != "QRL/USDT" || r.stderr != "" {
		t.Errorf("value %v, stderr %q", g.Value, r.stderr)
	}
}

func TestKeysLongAndQuiet(t *testing.T) {
	c := newCLI(t).withSharedMemory()
	seedMarket(t, c)
	r := c.run("", "keys", "ticker:*", "--long").expect(t, exitOK)
	got := lines(r.stdout)
	if len(got) != 5 || strings.Fields(got[0])[0] != "key" || strings.Fields(got[2])[0] != "ticker:BTC/USDT" {
		t.Fatalf("keys --long:\n%s", r.stdout)
	}
	if f := strings.Fields(got[2]); len(f) != 4 || !strings.HasSuffix(f[1], "s") || f[3] != "B" {
		t.Errorf("row %q: want key, ttl, size", got[2])
	}
	r = c.run("", "keys", "--quiet").expect(t, exitOK)
	if r.stdout != "6\n" {
		t.Errorf("keys --quiet: %q", r.stdout)
	}
	r = c.run("", "keys", "ticker:QRL/USDT", "--long", "--json").expect(t, exitOK)
	var k keysJSON
	if err := json.Unmarshal([]byte(r.stdout), &k); err != nil || k.Count != 1 || k.Keys[0].TTLMs == nil || *k.Keys[0].TTLMs <= 0 || *k.Keys[0].Size <= 0 {
		t.Errorf("keys --long --json: %s (%v)", r.stdout, err)
	}
}

func TestWarmAbortedPrintsNothingOnStdout(t *testing.T) {
	c := newCLI(t).withSharedMemory()
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // Ctrl-C before the first item
	r := c.runCtx(ctx, "", "warm", "--symbols", "QRL/USDT", "--latency", "0", "--jitter", "0").expect(t, exitInterrupted)
	if r.stdout != "" || !strings.Contains(r.stderr, "aborted after") {
		t.Fatalf("aborted warm: stdout %q stderr %q", r.stdout, r.stderr)
	}
}

// get shows compression and the encryption key's id from the header, never a secret, and does not show
// an encrypted payload it cannot decrypt.
func TestGetShowsCompressionAndEncryption(t *testing.T) {
	c := newCLI(t).withSharedMemory()
	ctx := context.Background()
	secret := []byte("0123456789abcdef0123456789abcdef")
	keys, err := codec.NewKeyring(codec.Key{ID: "k1", Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	zstd, err := codec.NewEnvelope(codec.Compression{Algorithm: codec.Zstd, MinSize: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := codec.NewEnvelope(codec.Compression{}, keys)
	if err != nil {
		t.Fatal(err)
	}
	value := map[string]string{"symbol": strings.Repeat("QRL/USDT ", 50)}
	for full, env := range map[string]*codec.Envelope{"qrl:v1:note:zipped": zstd, "qrl:v1:note:sealed": sealed} {
		data, err := env.Encode(codec.JSON, value, codec.Meta{}, full)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.shared.Set(ctx, full, data, time.Minute); err != nil {
			t.Fatal(err)
		}
	}

	r := c.run("", "get", "note:zipped").expect(t, exitOK)
	if !strings.Contains(r.stderr, "# compressed: zstd\n") || !strings.Contains(r.stdout, "QRL/USDT QRL/USDT") {
		t.Errorf("compressed value: stdout %q stderr %q", r.stdout, r.stderr)
	}
	r = c.run("", "get", "note:zipped", "--json").expect(t, exitOK)
	var g getJSON
	if err := json.Unmarshal([]byte(r.stdout), &g); err != nil || g.Meta.Compression != "zstd" || g.Meta.Encrypted {
		t.Errorf("compressed --json: %s (%v)", r.stdout, err)
	}

	r = c.run("", "get", "note:sealed").expect(t, exitError)
	if r.stdout != "" || !strings.Contains(r.stderr, "# encrypted:  key id \"k1\"\n") || !strings.Contains(r.stderr, "no key in CACHEKIT_ENCRYPTION_KEYS opens it") {
		t.Errorf("encrypted value: stdout %q stderr %q", r.stdout, r.stderr)
	}
	r = c.run("", "get", "note:sealed", "--json").expect(t, exitError)
	g = getJSON{}
	if err := json.Unmarshal([]byte(r.stdout), &g); err != nil || !g.Meta.Encrypted || g.Meta.KeyID != "k1" || string(g.Value) != "null" {
		t.Errorf("encrypted --json: %s (%v)", r.stdout, err)
	}
	for _, out := range []string{r.stdout, r.stderr} {
		if strings.Contains(out, string(secret)) || strings.Contains(out, "QRL/USDT QRL") {
			t.Errorf("key material or plaintext shown: %q", out)
		}
	}

	// With the key in the environment, as the bot has it, get opens the value (never printing the key).
	c.env["CACHEKIT_ENCRYPTION_KEYS"] = "k1:" + base64.StdEncoding.EncodeToString(secret)
	r = c.run("", "get", "note:sealed").expect(t, exitOK)
	if !strings.Contains(r.stdout, "QRL/USDT QRL/USDT") || !strings.Contains(r.stderr, "key id \"k1\"") {
		t.Errorf("encrypted value with its key: stdout %q stderr %q", r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, base64.StdEncoding.EncodeToString(secret)) || strings.Contains(r.stdout+r.stderr, string(secret)) {
		t.Error("key material shown")
	}
}

// An invalid store URL is a usage error naming the problem, with a hint naming where the scheme's
// options are documented.
func TestInvalidURLHintsAtTheOptions(t *testing.T) {
	r := newCLI(t).run("", "keys", "--cache", "localhost:6379").expect(t, exitUsage)
	if got := lines(r.stderr); len(got) != 2 || got[1] != "hint: a store URL starts with its scheme, e.g. redis://localhost:6379" {
		t.Errorf("keys --cache localhost:6379: stderr %q; want a hint with the scheme", got)
	}
	for url, pkg := range map[string]string{
		"redis://127.0.0.1:1?bogus=1":    "store/redis",
		"memory://?bogus=1":              "store/memory",
		"tiered://?l2=memory://&bogus=1": "store/tiered (its l1 and l2 URLs: their stores' packages)",
	} {
		r := newCLI(t).run("", "keys", "--cache", url).expect(t, exitUsage)
		got := lines(r.stderr)
		if len(got) != 2 || !strings.HasPrefix(got[0], "cachekit keys: invalid store URL: ") ||
			got[1] != "hint: the URL options are documented in: go doc github.com/cachekit/cachekit/"+pkg+" (and the Cache's own: go doc github.com/cachekit/cachekit Open)" {
			t.Errorf("keys --cache %s: stderr %q; want the error and a hint naming %s", url, got, pkg)
		}
	}
}
