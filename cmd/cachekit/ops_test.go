package main

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/codec"
	"github.com/cachekit/cachekit/exchange"
)

// seedMarket stores entries of two symbols in namespace "qrl", a look-alike symbol, and QRL/USDT in another
// namespace. It returns the QRL/USDT keys of "qrl", sorted.
func seedMarket(t *testing.T, c *cli) []string {
	t.Helper()
	bot, other := c.cache("qrl"), c.cache("other")
	tick := exchange.Ticker{Symbol: "QRL/USDT", Last: decimal.RequireFromString("0.012345678901234567")}
	qrl := []string{"deals:QRL/USDT:20", "ohlcv:QRL/USDT:1d:120", "ticker:QRL/USDT"}
	seed(t, bot, tick, qrl...)
	seed(t, bot, tick, "ticker:BTC/USDT", "ticker:QRL/USDT2", "note:QRL/USDT-not-a-symbol-part")
	seed(t, other, tick, "ticker:QRL/USDT")
	return qrl
}

func TestKeysListsNamespaceSortedWithPatternAndLimit(t *testing.T) {
	c := newCLI(t).withSharedMemory()
	seedMarket(t, c)

	r := c.run("", "keys").expect(t, exitOK)
	want := []string{"deals:QRL/USDT:20", "note:QRL/USDT-not-a-symbol-part", "ohlcv:QRL/USDT:1d:120",
		"ticker:BTC/USDT", "ticker:QRL/USDT", "ticker:QRL/USDT2"}
	if got := lines(r.stdout); !slices.Equal(got, want) {
		t.Fatalf("keys:\n%q\nwant\n%q", got, want)
	}

	r = c.run("", "keys", "ticker:*").expect(t, exitOK)
	if got := lines(r.stdout); !slices.Equal(got, []string{"ticker:BTC/USDT", "ticker:QRL/USDT", "ticker:QRL/USDT2"}) {
		t.Fatalf("keys ticker:*: %q", got)
	}

	r = c.run("", "keys", "--namespace", "other").expect(t, exitOK)
	if got := lines(r.stdout); !slices.Equal(got, []string{"ticker:QRL/USDT"}) {
		t.Fatalf("keys of namespace other: %q", got)
	}

	r = c.run("", "keys", "--limit", "2").expect(t, exitOK)
	if got := lines(r.stdout); len(got) != 2 || !slices.IsSorted(got) {
		t.Fatalf("keys --limit 2: %q, want 2 sorted keys", got)
	}
	if !strings.Contains(r.stderr, "--limit 2") {
		t.Fatalf("keys --limit 2 should say it stopped early; stderr %q", r.stderr)
	}
	r = c.run("", "keys", "--limit", "6").expect(t, exitOK)
	if len(lines(r.stdout)) != 6 || r.stderr != "" {
		t.Fatalf("keys --limit 6 (all): stdout %q stderr %q", r.stdout, r.stderr)
	}

	r = c.run("", "keys", "nothing:*").expect(t, exitOK)
	if r.stdout != "" {
		t.Fatalf("no match: stdout %q, want empty", r.stdout)
	}
}

func TestGetPrintsExactPrettyJSON(t *testing.T) {
	c := newCLI(t).withSharedMemory()
	seedMarket(t, c)
	r := c.run("", "get", "ticker:QRL/USDT").expect(t, exitOK)
	var got map[string]any
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.UseNumber() // exchange types write decimals as JSON numbers with their exact digits (CCXT's shape)
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("get output is not JSON: %v\n%s", err, r.stdout)
	}
	if got["last"] != json.Number("0.012345678901234567") || got["symbol"] != "QRL/USDT" {
		t.Fatalf("get: last %v symbol %v", got["last"], got["symbol"])
	}
	if !strings.Contains(r.stdout, "\n  \"symbol\": \"QRL/USDT\"") {
		t.Fatalf("get output is not indented:\n%s", r.stdout)
	}
}

func TestGetMsgpackValueShowsDecimalsExactly(t *testing.T) {
	c := newCLI(t).withSharedMemory()
	mp, err := cachekit.New(keepOpen{c.shared}, cachekit.WithNamespace("qrl"), cachekit.WithCodec(codec.Msgpack))
	if err != nil {
		t.Fatal(err)
	}
	book := exchange.OrderBook{Symbol: "QRL/USDT", Bids: []exchange.Level{{
		Price: decimal.RequireFromString("0.000000012345678901"), Amount: decimal.RequireFromString("1500.25"),
	}}}
	seed(t, mp, book, "orderbook:QRL/USDT:20")
	seed(t, mp, map[string]int{"n": 7}, "custom:thing")

	r := c.run("", "get", "orderbook:QRL/USDT:20").expect(t, exitOK)
	var got exchange.OrderBook
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("get output: %v\n%s", err, r.stdout)
	}
	if len(got.Bids) != 1 || got.Bids[0].Price.String() != "0.000000012345678901" {
		t.Fatalf("msgpack order book shown as %s", r.stdout)
	}
	if !strings.Contains(r.stdout, "0.000000012345678901,") {
		t.Fatalf("the decimal should be shown with its exact digits:\n%s", r.stdout)
	}

	r = c.run("", "get", "custom:thing").expect(t, exitOK)
	if strings.Join(strings.Fields(r.stdout), "") != `{"n":7}` {
		t.Fatalf("generic msgpack value shown as %q", r.stdout)
	}
}

func TestGetPlainJSONIsNotRounded(t *testing.T) {
	c := newCLI(t).withSharedMemory()
	// A Python bot writes bare JSON with float-looking numbers; they must be shown digit for digit.
	raw := []byte(`{"price": 0.123456789012345678901234567890, "id": 9007199254740993}`)
	if err := c.shared.Set(context.Background(), "qrl:v1:ticker:PY/USDT", raw, time.Minute); err != nil {
		t.Fatal(err)
	}
	r := c.run("", "get", "ticker:PY/USDT").expect(t, exitOK)
	for _, digits := range []string{"0.123456789012345678901234567890", "9007199254740993"} {
		if !strings.Contains(r.stdout, digits) {
			t.Errorf("get lost digits of %s:\n%s", digits, r.stdout)
		}
	}
}

func TestGetMissingKeyExitsNotFound(t *testing.T) {
	c := newCLI(t).withSharedMemory()
	seedMarket(t, c)
	r := c.run("", "get", "ticker:ETH/USDT").expect(t, exitNotFound)
	if r.stdout != "" || !strings.Contains(r.stderr, "ticker:ETH/USDT") || !strings.Contains(r.stderr, "not found") {
		t.Fatalf("missing key: stdout %q stderr %q", r.stdout, r.stderr)
	}
	// The same key exists in another namespace, which get must not reach.
	c.run("", "get", "ticker:QRL/USDT", "--namespace", "nobody").expect(t, exitNotFound)
}

func TestGetCorruptValueIsErrorAndKept(t *testing.T) {
	c := newCLI(t).withSharedMemory()
	if err := c.shared.Set(context.Background(), "qrl:v1:ticker:BAD/USDT", []byte{0xC1, 9, 9, 9}, time.Minute); err != nil {
		t.Fatal(err)
	}
	r := c.run("", "get", "ticker:BAD/USDT").expect(t, exitError)
	if r.stdout != "" || !strings.Contains(r.stderr, "ticker:BAD/USDT") {
		t.Fatalf("corrupt value: stdout %q stderr %q", r.stdout, r.stderr)
	}
	if _, err := c.shared.Get(context.Background(), "qrl:v1:ticker:BAD/USDT"); err != nil {
		t.Fatalf("get must leave a corrupt value in place for inspection: %v", err)
	}
}

func TestDelPrintsCountOfExistingKeys(t *testing.T) {
	c := newCLI(t).withSharedMemory()
	seedMarket(t, c)
	r := c.run("", "del", "ticker:BTC/USDT", "ticker:NONE/USDT").expect(t, exitOK)
	if r.stdout != "deleted 1\n" {
		t.Fatalf("del stdout %q, want %q", r.stdout, "deleted 1\n")
	}
	bot := c.cache("qrl")
	if exists(t, bot, "ticker:BTC/USDT") || !exists(t, bot, "ticker:QRL/USDT") {
		t.Fatal("del removed the wrong keys")
	}
	// An invalid key anywhere in the list deletes nothing.
	c.run("", "del", "ticker:QRL/USDT", "bad::key").expect(t, exitUsage)
	if !exists(t, bot, "ticker:QRL/USDT") {
		t.Fatal("del with an invalid key deleted a valid one")
	}
}

func TestClearWithoutConfirmationDeletesNothing(t *testing.T) {
	for _, answer := range []string{"n\n", "no\n", "", "maybe\n", "yes please\n"} {
		c := newCLI(t).withSharedMemory()
		qrl := seedMarket(t, c)
		r := c.run(answer, "clear", "--symbol", "QRL/USDT").expect(t, exitAborted)
		if r.stdout != "" {
			t.Errorf("answer %q: stdout %q, want nothing deleted", answer, r.stdout)
		}
		if !strings.Contains(r.stderr, "about to delete 3 keys") || !strings.Contains(r.stderr, "[y/N]") ||
			!strings.Contains(r.stderr, "aborted") {
			t.Errorf("answer %q: prompt/abort not on stderr:\n%s", answer, r.stderr)
		}
		for _, k := range qrl {
			if !exists(t, c.cache("qrl"), k) {
				t.Errorf("answer %q: %s was deleted", answer, k)
			}
		}
	}
}

func TestClearSymbolConfirmedDeletesOnlyThatSymbol(t *testing.T) {
	for _, answer := range []string{"y\n", "YES\n", "yes"} {
		c := newCLI(t).withSharedMemory()
		qrl := seedMarket(t, c)
		r := c.run(answer, "clear", "--symbol", "QRL/USDT").expect(t, exitOK)
		if got, want := lines(r.stdout), append(slices.Clone(qrl), "deleted 3"); !slices.Equal(got, want) {
			t.Fatalf("answer %q: stdout %q, want %q", answer, got, want)
		}
		bot := c.cache("qrl")
		for _, k := range qrl {
			if exists(t, bot, k) {
				t.Errorf("%s survived", k)
			}
		}
		for _, k := range []string{"ticker:BTC/USDT", "ticker:QRL/USDT2", "note:QRL/USDT-not-a-symbol-part"} {
			if !exists(t, bot, k) {
				t.Errorf("%s of another symbol was deleted", k)
			}
		}
		if !exists(t, c.cache("other"), "ticker:QRL/USDT") {
			t.Error("the other namespace's QRL/USDT was deleted")
		}
	}
}

func TestClearAllYesDeletesOnlyTheNamespace(t *testing.T) {
	c := newCLI(t).withSharedMemory()
	seedMarket(t, c)
	r := c.run("", "clear", "--all", "--yes").expect(t, exitOK)
	got := lines(r.stdout)
	if len(got) != 7 || got[6] != "deleted 6" {
		t.Fatalf("clear --all: stdout %q, want 6 keys then \"deleted 6\"", got)
	}
	if strings.Contains(r.stderr, "[y/N]") {
		t.Fatal("--yes must not prompt")
	}
	r = c.run("", "keys").expect(t, exitOK)
	if r.stdout != "" {
		t.Fatalf("keys left in the namespace: %q", r.stdout)
	}
	if !exists(t, c.cache("other"), "ticker:QRL/USDT") {
		t.Fatal("clear --all reached another namespace")
	}
}

func TestClearNothingMatchingIsSuccessWithoutPrompt(t *testing.T) {
	c := newCLI(t).withSharedMemory()
	seedMarket(t, c)
	r := c.run("", "clear", "--symbol", "ETH/USDT").expect(t, exitOK)
	if r.stdout != "deleted 0\n" || strings.Contains(r.stderr, "[y/N]") {
		t.Fatalf("stdout %q stderr %q", r.stdout, r.stderr)
	}
}

func TestStatsCountsTheNamespace(t *testing.T) {
	c := newCLI(t).withSharedMemory()
	seedMarket(t, c)
	r := c.run("", "stats", "--json").expect(t, exitOK)
	var st statsJSON
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatalf("stats --json: %v\n%s", err, r.stdout)
	}
	if st.Namespace != "qrl:v1:" || st.NamespaceKeys != 6 || st.Store.Backend != "memory" || st.Store.Keys != 7 {
		t.Fatalf("stats --json: %+v", st)
	}
	r = c.run("", "stats", "--namespace", "other").expect(t, exitOK)
	for _, want := range []string{"namespace:         other:v1:", "namespace keys:    1", "backend:           memory", "keys (all):        7"} {
		if !strings.Contains(r.stdout, want+"\n") {
			t.Errorf("stats text lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestWarmLoadsThenSkips(t *testing.T) {
	c := newCLI(t).withSharedMemory()
	args := []string{"warm", "--symbols", "QRL/USDT,btc/usdt", "--timeframes", "1m,1d", "--latency", "0", "--jitter", "0"}
	r := c.run("", args...).expect(t, exitOK)
	if r.stdout != "success 10 failed 0 skipped 0\n" {
		t.Fatalf("first warm: %q", r.stdout)
	}
	if !strings.Contains(r.stderr, "warm [") || !strings.Contains(r.stderr, "10/10") {
		t.Fatalf("warm shows no progress:\n%s", r.stderr)
	}
	bot := c.cache("qrl")
	for _, k := range []string{"ticker:QRL/USDT", "ohlcv:QRL/USDT:1m:120", "ohlcv:BTC/USDT:1d:120", "deals:BTC/USDT:20", "orderbook:QRL/USDT:20"} {
		if !exists(t, bot, k) {
			t.Errorf("warm did not store %s", k)
		}
	}
	ttl, err := bot.TTL(context.Background(), "ticker:QRL/USDT")
	if err != nil || ttl > exchange.DefaultTickerTTL {
		t.Errorf("warmed ticker TTL %v (%v), want at most the ticker TTL %v", ttl, err, exchange.DefaultTickerTTL)
	}
	r = c.run("", args...).expect(t, exitOK)
	if r.stdout != "success 0 failed 0 skipped 10\n" {
		t.Fatalf("second warm: %q", r.stdout)
	}
}

func TestWarmFailuresExitOne(t *testing.T) {
	c := newCLI(t).withSharedMemory()
	// Loopback port 1 refuses at once: every upstream call fails without any network.
	r := c.run("", "warm", "--symbols", "QRL/USDT", "--timeframes", "1d", "--live", "--mexc-url", "http://127.0.0.1:1").expect(t, exitError)
	if r.stdout != "success 0 failed 4 skipped 0\n" {
		t.Fatalf("stdout %q", r.stdout)
	}
	if !strings.Contains(r.stderr, "failed ticker:QRL/USDT:") || !strings.Contains(r.stderr, "4 of 4 entries failed") {
		t.Fatalf("failures not reported:\n%s", r.stderr)
	}
}
