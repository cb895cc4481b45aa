package cachekit

import (
	"context"
	"fmt"
	"net/url"

	"github.com/cachekit/cachekit/codec"
	"github.com/cachekit/cachekit/store"
)

// Open opens a store by URL and returns a Cache over it. The scheme selects the backend, whose package
// must be imported to register it: memory:// (store/memory), redis://, rediss://, unix://,
// redis+sentinel://, redis+cluster:// (store/redis), tiered:// (store/tiered).
//
// Cache options may be given in the URL's query and are removed before the store sees it: namespace,
// version, codec (json|msgpack), ttl (default TTL, seconds or a duration), plain_json (true|false).
// Options passed as arguments apply after the URL's. Every other query option belongs to the store,
// which rejects unknown ones with ErrInvalidURL.
func Open(ctx context.Context, rawURL string, opts ...Option) (*Cache, error) {
	storeURL, urlOpts, err := splitCacheOptions(rawURL)
	if err != nil {
		return nil, err
	}
	s, err := store.Open(ctx, storeURL)
	if err != nil {
		return nil, err
	}
	c, err := New(s, append(urlOpts, opts...)...)
	if err != nil {
		_ = s.Close()
		return nil, err
	}
	return c, nil
}

// splitCacheOptions takes the Cache's own options out of a store URL's query.
func splitCacheOptions(rawURL string) (string, []Option, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", nil, fmt.Errorf("%w: cannot parse %q", ErrInvalidURL, store.Redact(rawURL))
	}
	q := u.Query()
	var opts []Option
	take := func(name string) (string, bool) {
		v, ok := q[name]
		if !ok {
			return "", false
		}
		q.Del(name)
		if len(v) != 1 {
			err = fmt.Errorf("%w: option %q given %d times", ErrInvalidURL, name, len(v))
		}
		return v[0], true
	}
	if v, ok := take("namespace"); ok {
		opts = append(opts, WithNamespace(v))
	}
	if v, ok := take("version"); ok {
		opts = append(opts, WithVersion(v))
	}
	if v, ok := take("codec"); ok {
		c, cerr := codec.ByName(v)
		if cerr != nil {
			return "", nil, fmt.Errorf("%w: option codec: %w", ErrInvalidURL, cerr)
		}
		opts = append(opts, WithCodec(c))
	}
	if v, ok := take("ttl"); ok {
		d, terr := ParseTTL(v)
		if terr != nil {
			return "", nil, fmt.Errorf("%w: option ttl: %w", ErrInvalidURL, terr)
		}
		opts = append(opts, WithDefaultTTL(d))
	}
	if v, ok := take("plain_json"); ok {
		switch v {
		case "true", "1":
			opts = append(opts, WithPlainJSON())
		case "false", "0":
		default:
			return "", nil, fmt.Errorf("%w: option plain_json=%q is not true or false", ErrInvalidURL, v)
		}
	}
	if err != nil {
		return "", nil, err
	}
	u.RawQuery = q.Encode()
	return u.String(), opts, nil
}
