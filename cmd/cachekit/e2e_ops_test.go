package main

import (
	"context"
	"encoding/json"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/shopspring/decimal"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/exchange"
	"github.com/cachekit/cachekit/internal/redistest"
)

// TestBinaryConventionsAgainstRedis runs the built binary against a real Redis for what only a real
// server and a real process show: global flags before the command, the clear prompt naming the server,
// database, namespace and count, get's TTL and metadata, keys --long, the refusal without configuration,
// and --version's VCS revision.
func TestBinaryConventionsAgainstRedis(t *testing.T) {
	srv := redistest.Standalone(t)
	bin := buildCLI(t)
	ctx := context.Background()
	ns := redistest.Namespace(t)
	bot, err := cachekit.Open(ctx, srv.URL, cachekit.WithNamespace(ns))
	if err != nil {
		t.Fatal(err)
	}
	defer bot.Close()
	tick := exchange.Ticker{Symbol: "QRL/USDT", Last: decimal.RequireFromString("0.0123")}
	seed(t, bot, tick, "ticker:QRL/USDT", "ohlcv:QRL/USDT:1d:120", "deals:QRL/USDT:20", "ticker:BTC/USDT")
	cli := newBinCLI(t, bin)
	host := strings.TrimPrefix(strings.TrimSuffix(srv.URL, "/0"), "redis://")

	// Global flags before the command, --json after it.
	r := cli.run("", "--cache", srv.URL, "--namespace", ns, "keys", "--json").expect(t, exitOK)
	var k keysJSON
	if err := json.Unmarshal([]byte(r.stdout), &k); err != nil || k.Count != 4 || k.Namespace != ns+":v1:" {
		t.Fatalf("keys --json with global flags before: %s (%v)", r.stdout, err)
	}

	// keys --long: TTL and size from the server.
	r = cli.run("", "--cache", srv.URL, "--namespace", ns, "keys", "--long", "ticker:*").expect(t, exitOK)
	if got := lines(r.stdout); len(got) != 4 || !strings.HasPrefix(got[2], "ticker:BTC/USDT") || !strings.HasSuffix(got[2], " B") {
		t.Fatalf("keys --long:\n%s", r.stdout)
	}

	// get --json: TTL from Redis, codec from the envelope.
	r = cli.run("", "get", "ticker:QRL/USDT", "--json", "--cache", srv.URL, "--namespace", ns).expect(t, exitOK)
	var g getJSON
	if err := json.Unmarshal([]byte(r.stdout), &g); err != nil || g.TTLMs <= 0 || g.TTLMs > (time.Minute).Milliseconds() || g.Meta.Codec != "json" || g.FullKey != ns+":v1:ticker:QRL/USDT" {
		t.Fatalf("get --json: %s (%v)", r.stdout, err)
	}
	// A key written without an expiry (by redis-cli, say) shows "no expiry" and ttl_ms -1, in get and
	// keys --long, never a TTL of 292 years.
	raw := goredis.NewClient(&goredis.Options{Addr: srv.Addr})
	defer raw.Close()
	if err := raw.Set(ctx, ns+":v1:ticker:NOTTL/USDT", `{"symbol":"NOTTL/USDT"}`, 0).Err(); err != nil {
		t.Fatal(err)
	}
	r = cli.run("", "get", "ticker:NOTTL/USDT", "--cache", srv.URL, "--namespace", ns).expect(t, exitOK)
	if !strings.Contains(r.stderr, "# ttl:        no expiry\n") {
		t.Errorf("get of a key without expiry:\n%s", r.stderr)
	}
	r = cli.run("", "get", "ticker:NOTTL/USDT", "--json", "--cache", srv.URL, "--namespace", ns).expect(t, exitOK)
	if err := json.Unmarshal([]byte(r.stdout), &g); err != nil || g.TTLMs != -1 {
		t.Errorf("get --json of a key without expiry: %s (%v); want ttl_ms -1", r.stdout, err)
	}
	r = cli.run("", "keys", "--long", "ticker:NOTTL*", "--cache", srv.URL, "--namespace", ns).expect(t, exitOK)
	if got := lines(r.stdout); len(got) != 3 || !strings.Contains(got[2], "no expiry") {
		t.Errorf("keys --long of a key without expiry:\n%s", r.stdout)
	}
	r = cli.run("", "keys", "--long", "--json", "ticker:NOTTL*", "--cache", srv.URL, "--namespace", ns).expect(t, exitOK)
	if err := json.Unmarshal([]byte(r.stdout), &k); err != nil || len(k.Keys) != 1 || k.Keys[0].TTLMs == nil || *k.Keys[0].TTLMs != -1 {
		t.Errorf("keys --long --json of a key without expiry: %s (%v); want ttl_ms -1", r.stdout, err)
	}
	if err := raw.Del(ctx, ns+":v1:ticker:NOTTL/USDT").Err(); err != nil {
		t.Fatal(err)
	}

	// The full key as redis-cli shows it: not found, with the relative key suggested.
	r = cli.run("", "get", ns+":v1:ticker:QRL/USDT", "--cache", srv.URL, "--namespace", ns).expect(t, exitNotFound)
	if !strings.Contains(r.stderr, "hint: that looks like a full key; keys are relative to the namespace: cachekit get ticker:QRL/USDT") {
		t.Fatalf("full key: %q", r.stderr)
	}

	// The clear prompt names the server (password redacted), database, namespace and count.
	u, _ := url.Parse(srv.URL)
	u.User = url.UserPassword("default", "s3cret")
	r = cli.run("n\n", "clear", "--symbol", "qrl/usdt", "--cache", srv.URL, "--namespace", ns).expect(t, exitAborted)
	want := "about to delete 3 keys: the keys of symbol QRL/USDT in namespace " + ns + ":v1: on redis://" + host + " db 0"
	if !strings.Contains(r.stderr, want) {
		t.Fatalf("prompt:\n%s\nwant %q", r.stderr, want)
	}
	if strings.Contains(describeTarget(u.String()), "s3cret") {
		t.Fatal("describeTarget shows a password")
	}

	// No configuration at all: refused, with the way to point it at Redis.
	r = cli.run("", "stats").expect(t, exitUsage)
	if !strings.Contains(r.stderr, "no cache configured") || !strings.Contains(r.stderr, "hint: point it at Redis") {
		t.Fatalf("stats without configuration: %q", r.stderr)
	}
	r = cli.run("", "stats", "--json", "--cache", srv.URL, "--namespace", ns).expect(t, exitOK)
	if _, m := jsonKeys(t, "stats", r.stdout); m["namespace_keys"] != float64(4) {
		t.Fatalf("stats --json: %s", r.stdout)
	}

	// --version: the release constant, and the VCS revision of the checkout the binary was built from
	// (stamped with -buildvcs=true, whatever GOFLAGS says, when this is a git checkout).
	r = cli.run("", "--version", "--json").expect(t, exitOK)
	var v versionJSON
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil || v.Version != cachekit.Version {
		t.Fatalf("--version --json: %s (%v)", r.stdout, err)
	}
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Logf("not a git checkout (%v): the revision is not checked", err)
		return
	}
	vcsBin := filepath.Join(t.TempDir(), "cachekit")
	if out, err := exec.Command("go", "build", "-buildvcs=true", "-o", vcsBin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build -buildvcs=true: %v\n%s", err, out)
	}
	vcli := newBinCLI(t, vcsBin)
	r = vcli.run("", "--version", "--json").expect(t, exitOK)
	v = versionJSON{}
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil || v.Revision != strings.TrimSpace(string(head)) || v.RevisionTime == "" {
		t.Fatalf("--version --json of a stamped build: %s (%v), want revision %s", r.stdout, err, head)
	}
	if line := vcli.run("", "--version").expect(t, exitOK).stdout; !strings.Contains(line, "revision "+v.Revision[:12]+" ") {
		t.Errorf("--version: %q", line)
	}
}
