package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/codec"
	"github.com/cachekit/cachekit/exchange"
)

func getCommand() command {
	return command{
		name:    "get",
		args:    "KEY",
		summary: "print the decoded value of a key as pretty JSON",
		about: `
Prints the value stored under KEY (relative to the namespace, e.g. ticker:QRL/USDT) as indented JSON on
stdout, whichever codec wrote it. JSON values are shown exactly as stored (decimals keep every digit);
msgpack values of the exchange kinds (ticker, ohlcv, deals, orderbook) are decoded into their types,
others generically. A missing key prints a message on stderr and exits 3. A value that cannot be decoded
is reported (exit 1) and left in place, so it can be inspected; the library deletes such entries on read.`,
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			var cf cacheFlags
			cf.register(fs)
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
					return &exitErr{code: exitNotFound, err: fmt.Errorf("%s: not found in namespace %s", key, cache.Keyspace().Prefix())}
				}
				if err != nil {
					return err
				}
				out, err := prettyValue(key, data)
				if err != nil {
					return fmt.Errorf("%s: %w", key, err)
				}
				_, err = a.stdout.Write(append(out, '\n'))
				return err
			}
		},
	}
}

// prettyValue renders stored bytes as indented JSON. JSON payloads (enveloped or plain, as Python writes
// them) are indented as they are, so nothing is rounded; msgpack payloads are decoded into the exchange
// type the key's kind names, or generically, and marshalled.
func prettyValue(key string, data []byte) ([]byte, error) {
	meta, err := codec.ReadMeta(data)
	if err != nil {
		return nil, err
	}
	if meta.Codec == 0 || meta.Codec == codec.JSON.ID() {
		var raw json.RawMessage
		if _, err := codec.Decode(data, &raw); err != nil {
			return nil, err
		}
		var b bytes.Buffer
		if err := json.Indent(&b, raw, "", "  "); err != nil {
			return nil, fmt.Errorf("%w: %w", codec.ErrCorrupt, err)
		}
		return b.Bytes(), nil
	}
	if typed := kindTarget(key); typed != nil {
		if _, err := codec.Decode(data, typed); err == nil {
			return json.MarshalIndent(typed, "", "  ")
		}
	}
	var v any
	if _, err := codec.Decode(data, &v); err != nil {
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
