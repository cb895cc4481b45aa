package main

import (
	"time"

	"github.com/cachekit/cachekit/store"
)

// ttlGone is the TTL get and keys --long record for a key that was listed or read but had expired (or
// was deleted) by the time its TTL was asked for.
const ttlGone = time.Duration(-2)

// ttlMs is a TTL in --json's ttl_ms, with Redis's PTTL conventions: -1 for a key without an expiry,
// -2 for a key gone meanwhile.
func ttlMs(d time.Duration) int64 {
	switch {
	case d == store.NoExpiry:
		return -1
	case d < 0:
		return -2
	}
	return d.Milliseconds()
}

// ttlText is a TTL as the text output shows it: "no expiry", gone (what the caller names it), or
// fmtTTL's form.
func ttlText(d time.Duration, gone string) string {
	switch {
	case d == store.NoExpiry:
		return "no expiry"
	case d < 0:
		return gone
	}
	return fmtTTL(d)
}
