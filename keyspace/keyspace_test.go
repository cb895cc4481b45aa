package keyspace_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/cachekit/cachekit/keyspace"
)

func TestKeyBuildsReadableKeys(t *testing.T) {
	ks := keyspace.Default()
	got, err := ks.Join("ohlcv", "QRL/USDT", "1d", "120")
	if err != nil || got != "qrl:v1:ohlcv:QRL/USDT:1d:120" {
		t.Fatalf("Join = %q, %v", got, err)
	}
	got, err = ks.Key("ticker:QRL/USDT")
	if err != nil || got != "qrl:v1:ticker:QRL/USDT" {
		t.Fatalf("Key = %q, %v", got, err)
	}
	if rel, ok := ks.Relative(got); !ok || rel != "ticker:QRL/USDT" {
		t.Fatalf("Relative = %q, %v", rel, ok)
	}
	if _, ok := ks.Relative("qrl:v10:ticker:X"); ok {
		t.Fatal("Relative accepted a key of another version")
	}
}

func TestInvalidKeysAreRejectedWithReason(t *testing.T) {
	ks := keyspace.Default()
	cases := map[string]struct{ rel, wantInMsg string }{
		"empty":           {"", "empty key"},
		"leading colon":   {":ticker", "empty segment"},
		"trailing colon":  {"ticker:", "empty segment"},
		"double colon":    {"ticker::x", "empty segment"},
		"newline":         {"ticker:QRL\nUSDT", "control character"},
		"nul":             {"ticker:\x00", "control character"},
		"invalid utf8":    {"ticker:\xff", "UTF-8"},
		"segment too big": {"ticker:" + strings.Repeat("x", keyspace.MaxSegmentLen+1), "limit"},
		"key too big":     {strings.Repeat("abcdefgh:", keyspace.MaxKeyLen/9+1) + "x", "limit"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ks.Key(c.rel)
			if !errors.Is(err, keyspace.ErrInvalidKey) {
				t.Fatalf("Key(%q) error = %v, want ErrInvalidKey", c.rel, err)
			}
			if !strings.Contains(err.Error(), c.wantInMsg) {
				t.Fatalf("error %q does not name the problem %q", err, c.wantInMsg)
			}
		})
	}
	if _, err := ks.Join("ticker", "QRL:USDT"); !errors.Is(err, keyspace.ErrInvalidKey) || !strings.Contains(err.Error(), "separator") {
		t.Fatalf("Join with ':' in a part: %v", err)
	}
	if _, err := keyspace.New("", "v1"); !errors.Is(err, keyspace.ErrInvalidKey) {
		t.Fatalf("empty namespace: %v", err)
	}
	if _, err := keyspace.New("a:b", "v1"); !errors.Is(err, keyspace.ErrInvalidKey) {
		t.Fatalf("namespace with ':': %v", err)
	}
	var zero keyspace.Keyspace
	if _, err := zero.Key("ticker:X"); !errors.Is(err, keyspace.ErrInvalidKey) {
		t.Fatalf("zero keyspace: %v", err)
	}
}

func TestPatternsEscapePrefixButKeepUserGlob(t *testing.T) {
	ks, err := keyspace.New("team[1]", "v*")
	if err != nil {
		t.Fatal(err)
	}
	if got := ks.All(); got != `team\[1\]:v\*:*` {
		t.Fatalf("All = %q", got)
	}
	p, err := ks.Pattern("ohlcv:*")
	if err != nil || p != `team\[1\]:v\*:ohlcv:*` {
		t.Fatalf("Pattern = %q, %v", p, err)
	}
	p, err = ks.KindPattern("a*")
	if err != nil || p != `team\[1\]:v\*:a\*:*` {
		t.Fatalf("KindPattern = %q, %v", p, err)
	}
	if _, err := ks.Pattern(""); !errors.Is(err, keyspace.ErrInvalidKey) {
		t.Fatalf("empty pattern: %v", err)
	}
	if _, err := ks.Pattern("a\nb"); !errors.Is(err, keyspace.ErrInvalidKey) {
		t.Fatalf("control char in pattern: %v", err)
	}
}

func TestSymbolSelectsOnlyThatSymbol(t *testing.T) {
	ks := keyspace.Default()
	sel, err := ks.Symbol("QRL/USDT")
	if err != nil {
		t.Fatal(err)
	}
	if sel.Pattern != "qrl:v1:*:QRL/USDT*" {
		t.Fatalf("Pattern = %q", sel.Pattern)
	}
	for key, want := range map[string]bool{
		"qrl:v1:ticker:QRL/USDT":         true,
		"qrl:v1:ohlcv:QRL/USDT:1d:120":   true,
		"qrl:v1:orderbook:QRL/USDT:100":  true,
		"qrl:v1:ticker:QRL/USDT2":        false,
		"qrl:v1:ohlcv:QRL/USDT2:1d:120":  false,
		"qrl:v1:ohlcv:BTC/USDT:QRL/USDT": false, // symbol in a later part
		"qrl:v2:ticker:QRL/USDT":         false,
		"other:v1:ticker:QRL/USDT":       false,
		"qrl:v1:QRL/USDT":                false, // no kind
		"qrl:v1:ticker:XQRL/USDT":        false,
	} {
		if got := sel.Match(key); got != want {
			t.Errorf("Match(%q) = %v, want %v", key, got, want)
		}
	}
	meta, err := ks.Symbol("*[QRL]?")
	if err != nil {
		t.Fatal(err)
	}
	if meta.Pattern != `qrl:v1:*:\*\[QRL\]\?*` {
		t.Fatalf("metachar symbol pattern = %q", meta.Pattern)
	}
	if !meta.Match("qrl:v1:ticker:*[QRL]?") || meta.Match("qrl:v1:ticker:QRL/USDT") {
		t.Fatal("metachar symbol matched wrongly")
	}
	if _, err := ks.Symbol("A:B"); !errors.Is(err, keyspace.ErrInvalidKey) {
		t.Fatalf("symbol with ':': %v", err)
	}
}
