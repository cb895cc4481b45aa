package tiered

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/cachekit/cachekit/store"
)

// Scheme is the URL scheme this package registers with store.Register.
const Scheme = "tiered"

func init() { store.Register(Scheme, OpenURL) }

// OpenURL opens a Store from a URL
//
//	tiered://?l1=<escaped URL>&l2=<escaped URL>&l1_ttl=2s&channel=cachekit:invalidate&l2_timeout=0&sync_publish=false&invalidation=true&track_prefix=&l1_fail_safe=0
//
// l1 and l2 are required and are opened with store.Open, so their backends must be imported (registered).
// They must be percent-escaped (url.QueryEscape): an unescaped '?' or '=' inside them is an error, and so
// is any option this opener does not know — which is where the options of an unescaped nested URL end
// up. l1_ttl, channel, l2_timeout, sync_publish, track_prefix and l1_fail_safe map to Options.L1MaxTTL,
// Channel, L2Timeout, SyncPublish, TrackPrefix and L1FailSafe (a duration such as 30s; 0, the default,
// is off; a negative or unreadable value is an error naming the option). invalidation is true (the
// default: Options.Invalidation "", which is auto), false (DisableInvalidation), or a mode: auto,
// tracking or pubsub. Errors wrap store.ErrInvalidURL and never show a
// password. The Store owns both nested stores.
func OpenURL(ctx context.Context, u *url.URL) (store.Store, error) {
	if err := store.CheckOptionsURL(u, Scheme, "tiered://?l1=...&l2=..."); err != nil {
		return nil, err
	}
	if err := checkEscaped(u.RawQuery); err != nil {
		return nil, err
	}
	q := store.NewQuery(u.Query())
	l1URL, l2URL := q.String("l1", ""), q.String("l2", "")
	opts := Options{
		L1MaxTTL:    q.Duration("l1_ttl", DefaultL1MaxTTL),
		Channel:     q.String("channel", DefaultChannel),
		L2Timeout:   q.Duration("l2_timeout", 0),
		SyncPublish: q.Bool("sync_publish", false),
		TrackPrefix: q.String("track_prefix", ""),
		L1FailSafe:  q.Duration("l1_fail_safe", 0),
	}
	switch inv := q.String("invalidation", "true"); inv {
	case string(InvalidationAuto), string(InvalidationTracking), string(InvalidationPubSub):
		opts.Invalidation = InvalidationMode(inv)
	default:
		b, err := strconv.ParseBool(inv)
		if err != nil {
			q.Fail(fmt.Errorf("%w: option invalidation=%q; want true, false, auto, tracking or pubsub", store.ErrInvalidURL, inv))
		}
		opts.DisableInvalidation = err == nil && !b
	}
	switch {
	case l1URL == "" || l2URL == "":
		q.Fail(fmt.Errorf("%w: tiered URL needs both l1= and l2= (store URLs)", store.ErrInvalidURL))
	case opts.L1MaxTTL == 0:
		q.Fail(fmt.Errorf("%w: option l1_ttl must be > 0", store.ErrInvalidURL))
	case opts.Channel == "":
		q.Fail(fmt.Errorf("%w: option channel must not be empty", store.ErrInvalidURL))
	}
	if err := q.Done(); err != nil {
		return nil, fmt.Errorf("%w (nested l1 and l2 URLs must be percent-escaped, e.g. with url.QueryEscape)", err)
	}
	l1, err := store.Open(ctx, l1URL)
	if err != nil {
		return nil, fmt.Errorf("tiered: l1: %w", err)
	}
	l2, err := store.Open(ctx, l2URL)
	if err != nil {
		_ = l1.Close()
		return nil, fmt.Errorf("tiered: l2: %w", err)
	}
	s, err := New(l1, l2, opts)
	if err != nil {
		_ = l1.Close()
		_ = l2.Close()
		return nil, fmt.Errorf("%w: %w", store.ErrInvalidURL, err)
	}
	return s, nil
}

// checkEscaped rejects an l1 or l2 value whose nested URL was not percent-escaped: its '?' or '=' would
// appear literally in the raw query. (Once parsed, an escaped and an unescaped single-option URL look the
// same; the raw query is the only place the difference shows.) The error names the nested options, never
// their values, which may hold secrets.
func checkEscaped(rawQuery string) error {
	for pair := range strings.SplitSeq(rawQuery, "&") {
		name, value, _ := strings.Cut(pair, "=")
		if (name != "l1" && name != "l2") || !strings.ContainsAny(value, "?=") {
			continue
		}
		var nested []string
		if _, query, ok := strings.Cut(value, "?"); ok {
			for opt := range strings.SplitSeq(query, "&") {
				if n, _, _ := strings.Cut(opt, "="); n != "" {
					nested = append(nested, n)
				}
			}
		}
		what := "'?' or '='"
		if len(nested) > 0 {
			what = "its option(s) " + strings.Join(nested, ", ")
		}
		return fmt.Errorf("%w: option %s holds a nested URL that is not percent-escaped (%s would mix with the tiered URL's options); escape it with url.QueryEscape", store.ErrInvalidURL, name, what)
	}
	return nil
}
