package cachekit_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/codec"
	"github.com/cachekit/cachekit/internal/redistest"
	"github.com/cachekit/cachekit/store"
)

// testKey is one random AES-256 key, in the forms a test needs.
type testKey struct {
	id     string
	secret []byte
	b64    string
}

func newTestKey(t *testing.T, id string) testKey {
	t.Helper()
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		t.Fatal(err)
	}
	return testKey{id: id, secret: secret, b64: base64.StdEncoding.EncodeToString(secret)}
}

// forms are the ways the key could leak into a text.
func (k testKey) forms() []string {
	return []string{k.b64, strings.TrimRight(k.b64, "="), string(k.secret), fmt.Sprintf("%x", k.secret), fmt.Sprint(k.secret)}
}

func keyring(t *testing.T, keys ...testKey) *codec.Keyring {
	t.Helper()
	var ks []codec.Key
	for _, k := range keys {
		ks = append(ks, codec.Key{ID: k.id, Secret: append([]byte(nil), k.secret...)})
	}
	kr, err := codec.NewKeyring(ks...)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

// bigSeries is a series large enough (about 2 KB) to be compressed at the default threshold.
func bigSeries(n int) series {
	s := newSeries(n)
	for i := range 200 {
		s.Closes = append(s.Closes, decimal.New(int64(1234500+i*7), -7))
	}
	return s
}

func sameSeries(a, b series) bool {
	if a.N != b.N || a.Symbol != b.Symbol || len(a.Closes) != len(b.Closes) || string(a.Raw) != string(b.Raw) || a.Tags["n"] != b.Tags["n"] {
		return false
	}
	for i := range a.Closes {
		if !a.Closes[i].Equal(b.Closes[i]) {
			return false
		}
	}
	return true
}

func redisStore(t *testing.T, url string) store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// sealedStores are the read paths (Viewer+DecodedCache, composite, plain) and real Redis.
func sealedStores() map[string]func(t *testing.T) store.Store {
	m := stores()
	m["redis"] = func(t *testing.T) store.Store { return redisStore(t, redistest.Standalone(t).URL) }
	return m
}

// Every codec × compression × encryption combination round-trips through Set and every read path (Get,
// View, GetMany, Fetch) on every kind of store, and the stored header says what was done.
func TestSealedRoundTripEveryStoreAndPath(t *testing.T) {
	ctx := context.Background()
	kr := keyring(t, newTestKey(t, "k1"))
	for name, open := range sealedStores() {
		for _, cd := range []codec.Codec{codec.JSON, codec.Msgpack} {
			for _, comp := range []codec.Compression{{}, {Algorithm: codec.Zstd}} {
				for _, keys := range []*codec.Keyring{nil, kr} {
					t.Run(fmt.Sprintf("%s/%s/%s/%s", name, cd.Name(), comp, keys), func(t *testing.T) {
						ns := redistest.Namespace(t)
						opts := []cachekit.Option{cachekit.WithNamespace(ns), cachekit.WithCodec(cd), cachekit.WithCompression(comp)}
						if keys != nil {
							opts = append(opts, cachekit.WithEncryptionKeys(keys))
						}
						c := newCacheOver(t, open(t), opts...)
						want := bigSeries(3)
						if err := c.Set(ctx, "ohlcv:QRL/USDT", want, 0); err != nil {
							t.Fatal(err)
						}
						raw, err := c.Store().Get(ctx, ns+":v1:ohlcv:QRL/USDT")
						if err != nil {
							t.Fatal(err)
						}
						m, err := codec.ReadMeta(raw)
						if err != nil || m.Codec != cd.ID() || m.Compression != comp.Algorithm || (m.KeyID != "") != (keys != nil) {
							t.Fatalf("stored header %+v, %v; want codec %s, compression %s, encrypted %t", m, err, cd.Name(), comp.Algorithm, keys != nil)
						}
						var got series
						if err := c.Get(ctx, "ohlcv:QRL/USDT", &got); err != nil || !sameSeries(got, want) {
							t.Fatalf("Get = %v; equal %t", err, sameSeries(got, want))
						}
						for range 2 { // the first View decodes (and decrypts), the second shares the kept form
							v, err := cachekit.View[series](ctx, c, "ohlcv:QRL/USDT")
							if err != nil || !sameSeries(v, want) {
								t.Fatalf("View = %v; equal %t", err, sameSeries(v, want))
							}
						}
						many, err := cachekit.GetMany[series](ctx, c, []string{"ohlcv:QRL/USDT", "ohlcv:none"})
						if err != nil || len(many) != 1 || !sameSeries(many["ohlcv:QRL/USDT"], want) {
							t.Fatalf("GetMany = %d values, %v", len(many), err)
						}
						loaded, err := cachekit.Fetch(ctx, c, "ohlcv:fetched", 0, func(context.Context) (series, error) { return bigSeries(4), nil })
						if err != nil || loaded.N != 4 {
							t.Fatalf("Fetch (load) = %v", err)
						}
						cached, err := cachekit.Fetch(ctx, c, "ohlcv:fetched", 0, func(context.Context) (series, error) {
							return series{}, errors.New("loader called for a cached value")
						})
						if err != nil || !sameSeries(cached, bigSeries(4)) {
							t.Fatalf("Fetch (cached) = %v", err)
						}
						if cnt := c.Counters(); cnt.Corrupt != 0 || cnt.TypeMismatches != 0 {
							t.Fatalf("counters %+v: nothing may be corrupt", cnt)
						}
					})
				}
			}
		}
	}
}

// Rotation without a flush, on real Redis shared by two instances: values written with k1 are read
// by an instance whose keyring is k2,k1, which writes new values with k2 (the header says so); an
// instance still on k1 alone sees a k2 value as corrupt: a miss, counted, the entry deleted.
func TestKeyRotationOnRedis(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Standalone(t)
	ns := redistest.Namespace(t)
	k1, k2 := newTestKey(t, "k1"), newTestKey(t, "k2")
	old := newCacheOver(t, redisStore(t, srv.URL), cachekit.WithNamespace(ns), cachekit.WithEncryptionKeys(keyring(t, k1)))
	rotated := newCacheOver(t, redisStore(t, srv.URL), cachekit.WithNamespace(ns), cachekit.WithEncryptionKeys(keyring(t, k2, k1)))

	if err := old.Set(ctx, "ticker:before", newSeries(1), 0); err != nil {
		t.Fatal(err)
	}
	if err := rotated.Set(ctx, "ticker:after", newSeries(2), 0); err != nil {
		t.Fatal(err)
	}
	for key, wantID := range map[string]string{"ticker:before": "k1", "ticker:after": "k2"} {
		raw, err := rotated.Store().Get(ctx, ns+":v1:"+key)
		if err != nil {
			t.Fatal(err)
		}
		if m, err := codec.ReadMeta(raw); err != nil || m.KeyID != wantID {
			t.Errorf("%s: header key id %q, %v; want %q", key, m.KeyID, err, wantID)
		}
	}
	var a, b series
	if err := rotated.Get(ctx, "ticker:before", &a); err != nil || a.N != 1 {
		t.Fatalf("rotated instance reading a k1 value: %v", err)
	}
	if err := rotated.Get(ctx, "ticker:after", &b); err != nil || b.N != 2 {
		t.Fatalf("rotated instance reading its own k2 value: %v", err)
	}
	var c series
	if err := old.Get(ctx, "ticker:after", &c); !errors.Is(err, cachekit.ErrNotFound) || c.N != 0 {
		t.Fatalf("k1-only instance reading a k2 value = %v (N %d); want a miss", err, c.N)
	}
	if got := old.Counters().Corrupt; got != 1 {
		t.Errorf("Corrupt = %d, want 1", got)
	}
	if _, err := old.Store().Get(ctx, ns+":v1:ticker:after"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the unreadable entry was not deleted: %v", err)
	}
}

// One flipped byte of a stored ciphertext, in a real store: every read path reports a miss, counts it
// corrupt and deletes the entry. A ciphertext copied to another key is a miss there too (the original
// still reads), and a plain JSON value written under the same key by another writer is read as before.
func TestTamperedAndMovedCiphertextAreMisses(t *testing.T) {
	ctx := context.Background()
	kr := keyring(t, newTestKey(t, "k1"))
	for _, name := range []string{"memory", "redis"} {
		for _, path := range []string{"get", "view", "get_many", "fetch"} {
			t.Run(name+"/"+path, func(t *testing.T) {
				ns := redistest.Namespace(t)
				c := newCacheOver(t, sealedStores()[name](t), cachekit.WithNamespace(ns),
					cachekit.WithEncryptionKeys(kr), cachekit.WithCompression(codec.Compression{Algorithm: codec.S2}))
				read := func(key string) (series, error) { return readBy(ctx, c, path, key) }
				full := func(key string) string { return ns + ":v1:" + key }
				if err := c.Set(ctx, "orderbook:A", bigSeries(5), 0); err != nil {
					t.Fatal(err)
				}
				raw, err := c.Store().Get(ctx, full("orderbook:A"))
				if err != nil {
					t.Fatal(err)
				}
				// Moved: the same bytes under another key.
				if err := c.Store().Set(ctx, full("orderbook:B"), raw, time.Minute); err != nil {
					t.Fatal(err)
				}
				// Tampered: one byte of the ciphertext flipped, under a third key.
				bad := append([]byte(nil), raw...)
				bad[len(bad)/2] ^= 0x01
				if err := c.Store().Set(ctx, full("orderbook:C"), bad, time.Minute); err != nil {
					t.Fatal(err)
				}
				for _, key := range []string{"orderbook:B", "orderbook:C"} {
					before := c.Counters()
					v, err := read(key)
					switch {
					case path == "fetch":
						if err != nil || v.N != -1 { // the undecodable entry is a miss: Fetch loads
							t.Fatalf("%s: Fetch = %+v, %v; want the loader's value", key, v, err)
						}
					case !errors.Is(err, cachekit.ErrNotFound) || v.N != 0:
						t.Fatalf("%s: read = N %d, %v; want a miss", key, v.N, err)
					}
					if got := c.Counters().Corrupt - before.Corrupt; got != 1 {
						t.Errorf("%s: Corrupt grew by %d, want 1", key, got)
					}
					after, err := c.Store().Get(ctx, full(key))
					if path == "fetch" {
						// Fetch writes the loaded value behind its return: wait for it.
						for deadline := time.Now().Add(5 * time.Second); err != nil && time.Now().Before(deadline); {
							time.Sleep(5 * time.Millisecond)
							after, err = c.Store().Get(ctx, full(key))
						}
						if m, _ := codec.ReadMeta(after); err != nil || m.KeyID != "k1" {
							t.Errorf("%s: after Fetch the entry is %v (key %q), want the loaded value, encrypted", key, err, m.KeyID)
						}
					} else if !errors.Is(err, store.ErrNotFound) {
						t.Errorf("%s: the undecodable entry was not deleted: %v", key, err)
					}
				}
				if v, err := read("orderbook:A"); err != nil || !sameSeries(v, bigSeries(5)) {
					t.Fatalf("the original = %v", err)
				}
			})
		}
	}
}

// Values written before compression and encryption were turned on — enveloped by this library or plain
// JSON by the Python bot — still read through a Cache configured with both.
func TestConfiguredReaderReadsOldValues(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Standalone(t)
	ns := redistest.Namespace(t)
	before := newCacheOver(t, redisStore(t, srv.URL), cachekit.WithNamespace(ns), cachekit.WithCodec(codec.Msgpack))
	python := newCacheOver(t, redisStore(t, srv.URL), cachekit.WithNamespace(ns), cachekit.WithPlainJSON())
	after := newCacheOver(t, redisStore(t, srv.URL), cachekit.WithNamespace(ns),
		cachekit.WithCompression(codec.Compression{Algorithm: codec.Zstd, MinSize: 64}),
		cachekit.WithEncryptionKeys(keyring(t, newTestKey(t, "k1"))))
	if err := before.Set(ctx, "ohlcv:old", bigSeries(1), 0); err != nil {
		t.Fatal(err)
	}
	if err := python.Set(ctx, "ohlcv:py", bigSeries(2), 0); err != nil {
		t.Fatal(err)
	}
	for key, n := range map[string]int{"ohlcv:old": 1, "ohlcv:py": 2} {
		var v series
		if err := after.Get(ctx, key, &v); err != nil || !sameSeries(v, bigSeries(n)) {
			t.Errorf("%s: %v", key, err)
		}
	}
	if got := after.Counters(); got.Corrupt != 0 || got.Hits != 2 {
		t.Errorf("counters %+v; want 2 hits, nothing corrupt", got)
	}
}

// Plain JSON (for the Python bot) with compression or encryption is a configuration error naming both
// settings and their sources, in Go options, the environment and URLs alike.
func TestPlainJSONRefusesSealing(t *testing.T) {
	k := newTestKey(t, "k1")
	_, err := cachekit.New(newStore(t), cachekit.WithPlainJSON(), cachekit.WithCompression(codec.Compression{Algorithm: codec.Zstd}))
	if err == nil || !strings.Contains(err.Error(), "plain_json (given by WithPlainJSON") || !strings.Contains(err.Error(), "compression (given by WithCompression(zstd:512))") {
		t.Errorf("New(plain JSON, compression) = %v; want an error naming both", err)
	}
	env := map[string]string{cachekit.EnvPlainJSON: "true", cachekit.EnvEncryptionKeys: k.id + ":" + k.b64}
	_, err = cachekit.ConfigFromLookup(func(n string) (string, bool) { v, ok := env[n]; return v, ok })
	if err == nil || !strings.Contains(err.Error(), "CACHE_PLAIN_JSON=true") || !strings.Contains(err.Error(), "encryption_keys (given by CACHEKIT_ENCRYPTION_KEYS)") {
		t.Errorf("ConfigFromLookup(plain JSON, keys) = %v; want an error naming both variables", err)
	}
	checkNoKey(t, err, k)
	_, err = cachekit.Open(context.Background(), "memory://?plain_json=true&compression=s2")
	if err == nil || !strings.Contains(err.Error(), "URL option plain_json=true") || !strings.Contains(err.Error(), "URL option compression=s2") {
		t.Errorf("Open(plain_json, compression) = %v; want an error naming both URL options", err)
	}
}

// Configuration of keys and compression from the environment and URLs: valid settings take effect,
// invalid ones are errors naming the problem and the id, conflicts name both sources, and no error, nor
// Stats, ever shows a key.
func TestSealingConfiguration(t *testing.T) {
	ctx := context.Background()
	k1, k2 := newTestKey(t, "k1"), newTestKey(t, "k2")
	lookup := func(env map[string]string) func(string) (string, bool) {
		return func(n string) (string, bool) { v, ok := env[n]; return v, ok }
	}
	cfg, err := cachekit.ConfigFromLookup(lookup(map[string]string{
		cachekit.EnvEncryptionKeys: k2.id + ":" + k2.b64 + "," + k1.id + ":" + k1.b64,
		cachekit.EnvCompression:    "s2:100",
	}))
	if err != nil {
		t.Fatal(err)
	}
	checkNoKey(t, fmt.Errorf("%+v %#v %s", cfg, cfg, cfg.EncryptionKeys), k1, k2)
	c, err := cachekit.OpenConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Set(ctx, "ohlcv:x", bigSeries(1), 0); err != nil {
		t.Fatal(err)
	}
	raw, _ := c.Store().Get(ctx, "qrl:v1:ohlcv:x")
	if m, err := codec.ReadMeta(raw); err != nil || m.KeyID != "k2" || m.Compression != codec.S2 {
		t.Errorf("value written from the environment's settings: %+v, %v; want key k2, s2", m, err)
	}
	stats, _ := c.Stats(ctx)
	checkNoKey(t, fmt.Errorf("%+v %v %s", stats, c.Envelope(), c.Envelope()), k1, k2)

	// A conflicting Go option names both sources, and neither key.
	_, err = cachekit.OpenConfig(ctx, cfg, cachekit.WithEncryptionKeys(keyring(t, k1)))
	if !errors.Is(err, cachekit.ErrConflict) || !strings.Contains(err.Error(), cachekit.EnvEncryptionKeys) || !strings.Contains(err.Error(), "WithEncryptionKeys(k1 (fingerprint") {
		t.Errorf("conflicting keys = %v; want ErrConflict naming both sources", err)
	}
	checkNoKey(t, err, k1, k2)
	// The same keys from two sources agree.
	if c2, err := cachekit.OpenConfig(ctx, cfg, cachekit.WithEncryptionKeys(keyring(t, k2, k1))); err != nil {
		t.Errorf("the same keyring from two sources: %v", err)
	} else {
		c2.Close()
	}

	short := base64.StdEncoding.EncodeToString(k1.secret[:16])
	for spec, want := range map[string]string{
		"k1:" + short:                      `key "k1" is 16 bytes; AES-256 needs 32`,
		"k1:" + k1.b64 + ",k1:" + k2.b64:   `key id "k1" is given twice`,
		":" + k1.b64:                       "empty key id",
		"k1:" + k1.b64[:10] + "*" + k1.b64: `key "k1" is not valid standard base64`,
		k1.b64:                             "entry 1 has no id",
	} {
		_, err := cachekit.ConfigFromLookup(lookup(map[string]string{cachekit.EnvEncryptionKeys: spec}))
		if !errors.Is(err, codec.ErrInvalidKeyring) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), cachekit.EnvEncryptionKeys) {
			t.Errorf("%s=<...>: %v; want ErrInvalidKeyring naming the variable and saying %q", cachekit.EnvEncryptionKeys, err, want)
		}
		checkNoKey(t, err, k1, k2)
		if strings.Contains(err.Error(), short) {
			t.Errorf("error shows the short key: %v", err)
		}
	}
	if _, err := cachekit.ConfigFromLookup(lookup(map[string]string{cachekit.EnvCompression: "gzip"})); err == nil || !strings.Contains(err.Error(), cachekit.EnvCompression) {
		t.Errorf("%s=gzip: %v; want an error naming the variable", cachekit.EnvCompression, err)
	}

	// Keys never come from a URL, and the refusal does not repeat them.
	_, err = cachekit.Open(ctx, "memory://?encryption_keys="+k1.id+":"+k1.b64)
	if !errors.Is(err, cachekit.ErrInvalidURL) || !strings.Contains(err.Error(), cachekit.EnvEncryptionKeys) {
		t.Errorf("URL with keys = %v; want ErrInvalidURL pointing to %s", err, cachekit.EnvEncryptionKeys)
	}
	checkNoKey(t, err, k1)
	c3, err := cachekit.Open(ctx, "memory://?compression=zstd:64")
	if err != nil {
		t.Fatal(err)
	}
	defer c3.Close()
	if got := c3.Envelope().Compression(); got != (codec.Compression{Algorithm: codec.Zstd, MinSize: 64}) {
		t.Errorf("URL compression=zstd:64 gives %v", got)
	}
}

func checkNoKey(t *testing.T, err error, keys ...testKey) {
	t.Helper()
	if err == nil {
		return
	}
	for _, k := range keys {
		for _, f := range k.forms() {
			if strings.Contains(err.Error(), f) {
				t.Fatalf("text shows key %s: %q", k.id, err)
			}
		}
	}
}

// With encryption keys, View keeps its hot path: after the first View of a write, the next ones
// decrypt nothing and allocate nothing.
func TestSealedViewDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items, so allocation counts are not exact")
	}
	ctx := context.Background()
	c := newCache(t, cachekit.WithEncryptionKeys(keyring(t, newTestKey(t, "k1"))),
		cachekit.WithCompression(codec.Compression{Algorithm: codec.Zstd, MinSize: 1}))
	if err := c.Set(ctx, "ticker:mexc:QRL/USDT", bigSeries(1), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := cachekit.View[series](ctx, c, "ticker:mexc:QRL/USDT"); err != nil {
		t.Fatal(err)
	}
	view := testing.AllocsPerRun(1000, func() {
		if _, err := cachekit.View[series](ctx, c, "ticker:mexc:QRL/USDT"); err != nil {
			t.Fatal(err)
		}
	})
	if view >= 0.5 { // ristretto allocates now and then (its read buffers)
		t.Fatalf("View of a hot encrypted key: %.2f allocations per call; want 0", view)
	}
}

// With encryption required, a value that is not encrypted — an envelope from a writer without keys, or
// plain JSON as the Python bot writes — is corrupt on every read path: counted, deleted, a miss (Fetch
// loads and writes it encrypted); encrypted values read as before.
func TestEncryptionRequiredRefusesUnencryptedValues(t *testing.T) {
	ctx := context.Background()
	kr := keyring(t, newTestKey(t, "k1"))
	for name, open := range sealedStores() {
		for _, path := range []string{"get", "view", "get_many", "fetch"} {
			t.Run(name+"/"+path, func(t *testing.T) {
				st := open(t)
				ns := redistest.Namespace(t)
				plain := newCacheOver(t, st, cachekit.WithNamespace(ns))
				python := newCacheOver(t, st, cachekit.WithNamespace(ns), cachekit.WithPlainJSON())
				c := newCacheOver(t, st, cachekit.WithNamespace(ns), cachekit.WithEncryptionKeys(kr), cachekit.WithEncryptionRequired())
				if !c.Envelope().EncryptionRequired() {
					t.Fatal("the Cache's envelope does not require encryption")
				}
				if err := plain.Set(ctx, "ohlcv:plain", bigSeries(1), 0); err != nil {
					t.Fatal(err)
				}
				if err := python.Set(ctx, "ohlcv:py", bigSeries(2), 0); err != nil {
					t.Fatal(err)
				}
				if err := c.Set(ctx, "ohlcv:sealed", bigSeries(3), 0); err != nil {
					t.Fatal(err)
				}
				read := func(key string) (series, error) { return readBy(ctx, c, path, key) }
				for _, key := range []string{"ohlcv:plain", "ohlcv:py"} {
					before := c.Counters().Corrupt
					v, err := read(key)
					switch {
					case path == "fetch":
						if err != nil || v.N != -1 {
							t.Fatalf("%s: Fetch = %+v, %v; want the loader's value", key, v, err)
						}
					case !errors.Is(err, cachekit.ErrNotFound):
						t.Fatalf("%s: read = N %d, %v; want a miss", key, v.N, err)
					}
					if got := c.Counters().Corrupt - before; got != 1 {
						t.Errorf("%s: Corrupt grew by %d, want 1", key, got)
					}
					if path != "fetch" {
						if _, err := st.Get(ctx, ns+":v1:"+key); !errors.Is(err, store.ErrNotFound) {
							t.Errorf("%s: the unencrypted entry was not deleted: %v", key, err)
						}
					}
				}
				if v, err := read("ohlcv:sealed"); err != nil || !sameSeries(v, bigSeries(3)) {
					t.Fatalf("the encrypted value = %v", err)
				}
			})
		}
	}
}

// CACHEKIT_ENCRYPTION_REQUIRED needs keys and a boolean; with keys it takes effect.
func TestEncryptionRequiredConfiguration(t *testing.T) {
	k := newTestKey(t, "k1")
	cfg := func(env map[string]string) (cachekit.Config, error) {
		return cachekit.ConfigFromLookup(func(n string) (string, bool) { v, ok := env[n]; return v, ok })
	}
	if _, err := cfg(map[string]string{cachekit.EnvEncryptionRequired: "true"}); err == nil ||
		!strings.Contains(err.Error(), "encryption_required (given by CACHEKIT_ENCRYPTION_REQUIRED=true) needs encryption keys") {
		t.Errorf("required without keys: %v; want an error naming the variable", err)
	}
	if _, err := cfg(map[string]string{cachekit.EnvEncryptionRequired: "maybe", cachekit.EnvEncryptionKeys: k.id + ":" + k.b64}); err == nil ||
		!strings.Contains(err.Error(), `CACHEKIT_ENCRYPTION_REQUIRED="maybe" is not true or false`) {
		t.Errorf("required=maybe: %v; want an error naming the value", err)
	}
	conf, err := cfg(map[string]string{cachekit.EnvEncryptionRequired: "true", cachekit.EnvEncryptionKeys: k.id + ":" + k.b64})
	if err != nil {
		t.Fatal(err)
	}
	checkNoKey(t, err, k)
	c, err := cachekit.OpenConfig(context.Background(), conf)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !c.Envelope().EncryptionRequired() || !strings.Contains(c.Envelope().String(), "(required)") {
		t.Errorf("envelope %s; want encryption required", c.Envelope())
	}
	if _, err := cachekit.New(newStore(t), cachekit.WithEncryptionRequired()); err == nil || !strings.Contains(err.Error(), "WithEncryptionRequired (true)") {
		t.Errorf("New(required, no keys) = %v; want an error naming the option", err)
	}
}

// readBy reads key through one read path of c: "get", "view", "get_many" (a missing key is
// ErrNotFound) or "fetch", whose loader returns N -1.
func readBy(ctx context.Context, c *cachekit.Cache, path, key string) (series, error) {
	switch path {
	case "view":
		return cachekit.View[series](ctx, c, key)
	case "get_many":
		m, err := cachekit.GetMany[series](ctx, c, []string{key})
		if v, ok := m[key]; ok || err != nil {
			return v, err
		}
		return series{}, cachekit.ErrNotFound
	case "fetch":
		return cachekit.Fetch(ctx, c, key, 0, func(context.Context) (series, error) { return series{N: -1}, nil })
	}
	var v series
	err := c.Get(ctx, key, &v)
	return v, err
}
