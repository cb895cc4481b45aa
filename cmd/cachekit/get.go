package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/codec"
	"github.com/cachekit/cachekit/exchange"
)

func getCommand() command {
	return command{
		name:    "get",
		args:    "KEY",
		summary: "print the decoded value of a key as pretty JSON, with its TTL and metadata",
		about: `
Prints the value stored under KEY (relative to the namespace, e.g. ticker:QRL/USDT) as indented JSON on
stdout, whichever codec wrote it, and its remaining TTL and envelope metadata (codec, when it was
written, whether it is stale, compression, and the encryption key's id — never key material) on stderr,
so stdout stays the value alone. An encrypted value is shown only with its key in CACHEKIT_ENCRYPTION_KEYS; otherwise its metadata
is, and the exit code is 1. JSON values are shown exactly as stored (decimals keep every digit); msgpack values of the exchange kinds (ticker, ohlcv, deals, orderbook) are
decoded into their types, others generically. A missing key prints a message on stderr and exits 3; a
full key as redis-cli shows it (qrl:v1:ticker:QRL/USDT) is not found that way, and the message names the
relative key to use instead. A value that cannot be decoded is reported (exit 1) and left in place, so it
can be inspected; the library deletes such entries on read.

--json prints one object instead (nothing on stderr):
  {"key": "ticker:QRL/USDT", "full_key": "qrl:v1:ticker:QRL/USDT", "ttl_ms": 4200, "size": 312,
   "meta": {"codec": "json", "enveloped": true, "written_at": "2026-01-02T03:04:05.678Z",
            "fresh_until": "...", "stale": false, "compression": "none", "encrypted": false,
            "key_id": "k1" (encrypted values only)},
   "value": <the value as JSON>}
codec is "json", "msgpack" or "plain-json" (no envelope, as the Python bot writes); written_at and
fresh_until are omitted when the value does not record them; ttl_ms is -1 when the key has no expiry
and -2 when it expired between reading it and its TTL (Redis's PTTL conventions);
value is null for an encrypted value (then exit 1).`,
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			cf := cacheFlags{ops: true}
			cf.register(fs)
			asJSON := jsonFlag(fs)
			return func(ctx context.Context, args []string) error {
				if len(args) != 1 {
					return usageErrorf("get takes exactly one KEY, got %d arguments", len(args))
				}
				key := args[0]
				cache, err := cf.open(ctx, a)
				if err != nil {
					return err
				}
				defer cache.Close()
				full, err := cache.Keyspace().Key(key)
				if err != nil {
					return usageErrorf("key %q: %v", key, err)
				}
				data, err := cache.Store().Get(ctx, full)
				if errors.Is(err, cachekit.ErrNotFound) {
					return &exitErr{code: exitNotFound, err: fmt.Errorf("%s: not found in namespace %s", key, cache.Keyspace().Prefix()),
						hint: fullKeyHint(ctx, cache, "get", key)}
				}
				if err != nil {
					return err
				}
				ttl, err := cache.Store().TTL(ctx, full)
				switch {
				case isNotFound(err):
					ttl = ttlGone // expired or deleted between the two calls
				case err != nil:
					return err
				}
				meta, err := codec.ReadMeta(data)
				if err != nil {
					return fmt.Errorf("%s: %w", key, err)
				}
				info := getInfo{key: key, full: full, ttl: ttl, size: len(data), meta: meta, enveloped: codec.IsEnveloped(data), now: time.Now()}
				env := cache.Envelope() // holds the keys of CACHEKIT_ENCRYPTION_KEYS, when set
				out, perr := prettyValue(env, full, key, data)
				if meta.KeyID != "" && perr != nil {
					// No key for it here: show what the header says and never the payload.
					if *asJSON {
						if err := writeJSON(a.stdout, info.json(nil)); err != nil {
							return err
						}
					} else {
						fmt.Fprint(a.stderr, info.text())
					}
					return fmt.Errorf("%s: the value is encrypted (key id %q) and no key in CACHEKIT_ENCRYPTION_KEYS opens it", key, meta.KeyID)
				}
				if perr != nil {
					return fmt.Errorf("%s: %w", key, perr)
				}
				if *asJSON {
					return writeJSON(a.stdout, info.json(out))
				}
				fmt.Fprint(a.stderr, info.text())
				_, err = a.stdout.Write(append(out, '\n'))
				return err
			}
		},
	}
}

// fullKeyHint suggests the relative key when key looks like a full one: "qrl:v1:ticker:X" in namespace
// qrl, or "bot:v1:ticker:X" of another namespace (then with --namespace). "" when it does not look so.
func fullKeyHint(ctx context.Context, cache *cachekit.Cache, cmd, key string) string {
	ks := cache.Keyspace()
	if rel, ok := strings.CutPrefix(key, ks.Prefix()); ok && rel != "" {
		if upper, ok := upperSymbolKey(ctx, cache, rel); ok {
			rel = upper
		}
		return fmt.Sprintf("that looks like a full key; keys are relative to the namespace: cachekit %s %s", cmd, shellQuote(rel))
	}
	parts := strings.SplitN(key, ":", 3)
	if len(parts) == 3 && versionSegment.MatchString(parts[1]) && parts[2] != "" {
		if parts[0] == ks.Namespace() {
			return fmt.Sprintf("that looks like a full key of version %s, and this namespace reads %s", parts[1], ks.Prefix())
		}
		return fmt.Sprintf("that looks like the full key of namespace %s, version %s: cachekit %s %s --namespace %s",
			parts[0], parts[1], cmd, shellQuote(parts[2]), parts[0])
	}
	if upper, ok := upperSymbolKey(ctx, cache, key); ok {
		return fmt.Sprintf("symbols are stored upper case: cachekit %s %s", cmd, shellQuote(upper))
	}
	return ""
}

// upperSymbolKey returns the relative key with its symbol upper case, when that differs and exists.
func upperSymbolKey(ctx context.Context, cache *cachekit.Cache, key string) (string, bool) {
	sym, ok := symbolOf(key)
	if !ok || strings.ContainsAny(sym, "*?[") {
		return "", false
	}
	upper, err := exchange.NormalizeSymbol(sym)
	if err != nil || upper == sym {
		return "", false
	}
	alt := strings.Replace(key, sym, upper, 1)
	found, err := cache.Exists(ctx, alt)
	return alt, err == nil && found
}

// versionSegment is the shape of a keyspace version ("v1").
var versionSegment = regexp.MustCompile(`^v[0-9]+$`)

// symbolOf returns the part of a relative key after the kind (its symbol for the exchange kinds).
func symbolOf(key string) (string, bool) {
	_, rest, ok := strings.Cut(key, ":")
	if !ok {
		return "", false
	}
	sym, _, _ := strings.Cut(rest, ":")
	return sym, sym != ""
}

// shellQuote quotes s for a shell when it holds characters a shell would read.
func shellQuote(s string) string {
	if strings.ContainsAny(s, " \t*?[]'\"$`\\|&;<>(){}!#~") {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	return s
}

// getInfo is what get knows about an entry besides its value.
type getInfo struct {
	key, full string
	ttl       time.Duration // store.NoExpiry: none; ttlGone: gone since it was read
	size      int
	meta      codec.Meta
	enveloped bool
	now       time.Time
}

type getJSON struct {
	Key     string          `json:"key"`
	FullKey string          `json:"full_key"`
	TTLMs   int64           `json:"ttl_ms"`
	Size    int             `json:"size"`
	Meta    metaJSON        `json:"meta"`
	Value   json.RawMessage `json:"value"`
}

// metaJSON is the envelope metadata get shows. It never carries key material.
type metaJSON struct {
	Codec      string     `json:"codec"`
	Enveloped  bool       `json:"enveloped"`
	WrittenAt  *time.Time `json:"written_at,omitempty"`
	FreshUntil *time.Time `json:"fresh_until,omitempty"`
	Stale      bool       `json:"stale"`
	// Compression is the payload's algorithm ("zstd", "s2") or "none".
	Compression string `json:"compression"`
	// Encrypted says the payload is sealed; KeyID names the key by its id only.
	Encrypted bool   `json:"encrypted"`
	KeyID     string `json:"key_id,omitempty"`
}

func (g getInfo) codecName() string {
	switch {
	case !g.enveloped:
		return "plain-json"
	case g.meta.Codec == codec.JSON.ID():
		return "json"
	case g.meta.Codec == codec.Msgpack.ID():
		return "msgpack"
	}
	return fmt.Sprintf("codec %d", g.meta.Codec)
}

// stale reports whether the value is past its logical expiry (a reader would serve it only as stale).
func (g getInfo) stale() bool {
	return !g.meta.SoftExpiry.IsZero() && !g.now.Before(g.meta.SoftExpiry)
}

func (g getInfo) json(value []byte) getJSON {
	m := metaJSON{Codec: g.codecName(), Enveloped: g.enveloped, Stale: g.stale(),
		Compression: g.meta.Compression.String(), Encrypted: g.meta.KeyID != "", KeyID: g.meta.KeyID}
	if !g.meta.WrittenAt.IsZero() {
		t := g.meta.WrittenAt
		m.WrittenAt = &t
	}
	if !g.meta.SoftExpiry.IsZero() {
		t := g.meta.SoftExpiry
		m.FreshUntil = &t
	}
	ttl := ttlMs(g.ttl)
	v := json.RawMessage("null") // an encrypted value is not shown
	if value != nil {
		v = compactJSON(value)
	}
	return getJSON{Key: g.key, FullKey: g.full, TTLMs: ttl, Size: g.size, Meta: m, Value: v}
}

// text is the metadata block get prints on stderr, one "# name: value" line each.
func (g getInfo) text() string {
	var b strings.Builder
	line := func(name, value string) { fmt.Fprintf(&b, "# %-11s %s\n", name+":", value) }
	line("key", g.full)
	line("ttl", ttlText(g.ttl, "expired since it was read"))
	line("size", fmtBytes(int64(g.size)))
	line("codec", g.codecName())
	if !g.meta.WrittenAt.IsZero() {
		line("written at", fmt.Sprintf("%s (%s ago)", g.meta.WrittenAt.Format(time.RFC3339Nano), fmtTTL(g.now.Sub(g.meta.WrittenAt))))
	}
	if !g.meta.SoftExpiry.IsZero() {
		state := "fresh"
		if g.stale() {
			state = "stale (served only by a stale-while-revalidate or fail-safe policy)"
		}
		line("fresh until", g.meta.SoftExpiry.Format(time.RFC3339Nano)+", "+state)
	}
	if g.meta.Compression != codec.NoCompression {
		line("compressed", g.meta.Compression.String())
	}
	if g.meta.KeyID != "" {
		line("encrypted", fmt.Sprintf("key id %q", g.meta.KeyID))
	}
	return b.String()
}

// compactJSON removes the indentation of a pretty value for embedding; valid JSON in, valid JSON out.
func compactJSON(pretty []byte) json.RawMessage {
	var b bytes.Buffer
	if err := json.Compact(&b, pretty); err != nil {
		return pretty
	}
	return b.Bytes()
}

// prettyValue renders stored bytes as indented JSON. JSON payloads (enveloped or plain, as Python writes
// them) are indented as they are, so nothing is rounded; msgpack payloads are decoded into the exchange
// type the key's kind names, or generically, and marshalled.
// An encrypted value is opened with env's keys, bound to the full key.
func prettyValue(env *codec.Envelope, full, key string, data []byte) ([]byte, error) {
	meta, err := codec.ReadMeta(data)
	if err != nil {
		return nil, err
	}
	decode := func(v any) error {
		if env != nil {
			_, err := env.Decode(data, v, full)
			return err
		}
		_, err := codec.Decode(data, v)
		return err
	}
	if meta.Codec == 0 || meta.Codec == codec.JSON.ID() {
		var raw json.RawMessage
		if err := decode(&raw); err != nil {
			return nil, err
		}
		var b bytes.Buffer
		if err := json.Indent(&b, raw, "", "  "); err != nil {
			return nil, fmt.Errorf("%w: %w", codec.ErrCorrupt, err)
		}
		return b.Bytes(), nil
	}
	if typed := kindTarget(key); typed != nil {
		if err := decode(typed); err == nil {
			return json.MarshalIndent(typed, "", "  ")
		}
	}
	var v any
	if err := decode(&v); err != nil {
		return nil, err
	}
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("value cannot be shown as JSON: %w", err)
	}
	return out, nil
}

// kindTarget returns a pointer to the exchange type stored under key's kind, or nil for other kinds.
func kindTarget(key string) any {
	kind, _, _ := strings.Cut(key, ":")
	switch kind {
	case exchange.KindTicker:
		return new(exchange.Ticker)
	case exchange.KindOHLCV:
		return new([]exchange.Candle)
	case exchange.KindDeals:
		return new([]exchange.Deal)
	case exchange.KindOrderBook:
		return new(exchange.OrderBook)
	}
	return nil
}
