package cachekit

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/cachekit/cachekit/codec"
	"github.com/cachekit/cachekit/internal/keyquote"
	"github.com/cachekit/cachekit/keyspace"
	"github.com/cachekit/cachekit/store"
)

// Open opens a store by URL and returns a Cache over it. The scheme selects the backend, whose package
// must be imported to register it: memory:// (store/memory), redis://, rediss://, unix://,
// redis+sentinel://, redis+cluster:// (store/redis), tiered:// (store/tiered).
//
// Cache options may be given in the URL's query and are removed before the store sees it: namespace,
// version, codec (json|msgpack), compression (none|zstd|s2, optionally :minbytes), ttl (default TTL,
// seconds or a duration), plain_json (true|false),
// policy (Fetch's default policy) and policy.<kind> (one kind's, over its built-in policy), both in
// ParsePolicy's text form. Each may appear once. They and opts follow one precedence rule (see Labeled): a URL option and a Go option
// that disagree are an error naming both. Every other query option belongs to the store, which receives
// it exactly as written and rejects unknown ones with ErrInvalidURL. Encryption keys are never taken
// from a URL (URLs are logged and shown): an encryption_keys option is an error that does not repeat
// its value; use CACHEKIT_ENCRYPTION_KEYS or WithEncryptionKeys. A tiered:// URL without a
// track_prefix option gets the Cache's keyspace prefix (e.g. track_prefix=qrl:v1:), so that its
// server-assisted invalidation watches only this Cache's keys; one whose track_prefix is not a prefix of
// the keyspace's is an error (ErrInvalidURL), since Redis would then report none of the Cache's writes.
func Open(ctx context.Context, rawURL string, opts ...Option) (*Cache, error) {
	storeURL, urlOpts, err := splitCacheOptions(rawURL, "URL option ")
	if err != nil {
		return nil, fmt.Errorf("cachekit: %w", err)
	}
	// Options are checked before the store is opened: a conflict opens nothing.
	probe := newOptions()
	all := append(urlOpts, opts...)
	if err := probe.apply(all); err != nil {
		return nil, err
	}
	if err := probe.checkSealing(); err != nil {
		return nil, err
	}
	if ks, err := keyspace.New(probe.namespace, probe.version); err == nil { // else New reports it
		if storeURL, err = withTrackPrefix(storeURL, ks.Prefix()); err != nil {
			return nil, fmt.Errorf("cachekit: %w", err)
		}
	}
	s, err := store.Open(ctx, storeURL)
	if err != nil {
		return nil, err
	}
	c, err := New(s, all...)
	if err != nil {
		_ = s.Close()
		return nil, err
	}
	return c, nil
}

// withTrackPrefix adds track_prefix=prefix to a tiered:// store URL whose query names none, so that the
// tiered store's server-assisted tracking watches this Cache's keyspace (every key it writes, leases
// included, starts with the prefix) instead of every key of the database. A track_prefix the URL names
// itself must cover the prefix (be a prefix of it, "" included): otherwise Redis would report none of this
// Cache's writes and its L1 copies would live out l1_ttl after every write, so that is an error. Other
// URLs are returned as they are.
func withTrackPrefix(storeURL, prefix string) (string, error) {
	scheme, _, ok := strings.Cut(storeURL, "://")
	if !ok || !strings.EqualFold(scheme, "tiered") {
		return storeURL, nil
	}
	rest, fragment, hasFragment := strings.Cut(storeURL, "#")
	_, query, _ := strings.Cut(rest, "?")
	for pair := range strings.SplitSeq(query, "&") {
		name, value, _ := strings.Cut(pair, "=")
		if name != "track_prefix" {
			continue
		}
		if own, err := url.QueryUnescape(value); err == nil && !strings.HasPrefix(prefix, own) { // else the store reports it
			return "", fmt.Errorf("%w: tiered option track_prefix=%s does not cover this Cache's keys, which start "+
				"with %s: Redis would report none of their writes; leave the option out or give a prefix of that",
				store.ErrInvalidURL, keyquote.Quote(own), keyquote.Quote(prefix))
		}
		return storeURL, nil
	}
	sep := "&"
	switch {
	case !strings.Contains(rest, "?"):
		sep = "?"
	case strings.HasSuffix(rest, "?") || strings.HasSuffix(rest, "&"):
		sep = ""
	}
	out := rest + sep + "track_prefix=" + url.QueryEscape(prefix)
	if hasFragment {
		out += "#" + fragment
	}
	return out, nil
}

// cacheURLOptions are the query options Open takes for the Cache.
var cacheURLOptions = map[string]bool{"namespace": true, "version": true, "codec": true, "compression": true, "ttl": true, "plain_json": true}

// splitCacheOptions takes the Cache's own options out of a store URL's query and returns the URL the
// store gets, with the rest of the query byte for byte as written (an unescaped nested URL in a
// tiered:// query stays as unescaped as it came, for the store to reject), and the options, labeled
// labelPrefix+"name=value".
func splitCacheOptions(rawURL, labelPrefix string) (string, []Option, error) {
	if _, err := store.ParseURL(rawURL); err != nil {
		return "", nil, err
	}
	base, query, hasQuery := strings.Cut(rawURL, "?")
	query, fragment, hasFragment := strings.Cut(query, "#")
	var (
		kept []string
		opts []Option
		seen = map[string]bool{}
	)
	for _, pair := range strings.Split(query, "&") {
		if pair == "" {
			continue
		}
		rawName, rawValue, _ := strings.Cut(pair, "=")
		name, err1 := url.QueryUnescape(rawName)
		value, err2 := url.QueryUnescape(rawValue)
		if err := errors.Join(err1, err2); err != nil {
			return "", nil, fmt.Errorf("%w: query option %q: %v", ErrInvalidURL, rawName, err)
		}
		if isKeyOption(name) { // refused before anything can echo the value
			return "", nil, fmt.Errorf("%w: option %q: encryption keys are not accepted in a URL; use %s or WithEncryptionKeys",
				ErrInvalidURL, name, EnvEncryptionKeys)
		}
		if !cacheURLOptions[name] && name != "policy" && !strings.HasPrefix(name, "policy.") {
			kept = append(kept, pair)
			continue
		}
		if seen[name] {
			return "", nil, fmt.Errorf("%w: option %q given more than once", ErrInvalidURL, name)
		}
		seen[name] = true
		opt, err := cacheURLOption(name, value)
		if err != nil {
			return "", nil, err
		}
		opts = append(opts, Labeled(labelPrefix+name+"="+value, opt))
	}
	out := base
	if hasQuery && len(kept) > 0 {
		out += "?" + strings.Join(kept, "&")
	}
	if hasFragment {
		out += "#" + fragment
	}
	return out, opts, nil
}

// cacheURLOption turns one Cache URL option into an Option.
func cacheURLOption(name, value string) (Option, error) {
	switch name {
	case "namespace":
		return WithNamespace(value), nil
	case "version":
		return WithVersion(value), nil
	case "codec":
		c, err := codec.ByName(value)
		if err != nil {
			return nil, fmt.Errorf("%w: option codec: %w", ErrInvalidURL, err)
		}
		return WithCodec(c), nil
	case "compression":
		comp, err := codec.ParseCompression(value)
		if err != nil {
			return nil, fmt.Errorf("%w: option compression: %w", ErrInvalidURL, err)
		}
		return WithCompression(comp), nil
	case "ttl":
		d, err := ParseTTL(value)
		if err != nil {
			return nil, fmt.Errorf("%w: option ttl: %w", ErrInvalidURL, err)
		}
		return WithDefaultTTL(d), nil
	case "policy":
		p, err := ParsePolicy(value, Policy{})
		if err != nil {
			return nil, fmt.Errorf("%w: option policy: %w", ErrInvalidURL, err)
		}
		return WithDefaultPolicy(p), nil
	case "plain_json":
		on, err := strconv.ParseBool(value)
		if err != nil {
			return nil, fmt.Errorf("%w: option plain_json=%q is not true or false", ErrInvalidURL, value)
		}
		return withPlainJSON(on), nil
	}
	if kind, ok := strings.CutPrefix(name, "policy."); ok {
		p, err := ParsePolicy(value, DefaultPolicies()[kind])
		if err != nil {
			return nil, fmt.Errorf("%w: option %s: %w", ErrInvalidURL, name, err)
		}
		return WithPolicy(kind, p), nil
	}
	return nil, fmt.Errorf("%w: unknown option %q", ErrInvalidURL, name)
}
