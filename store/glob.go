package store

import "github.com/cachekit/cachekit/internal/glob"

// Match reports whether key matches pattern with the semantics of Redis's SCAN MATCH exactly (the
// stringmatchlen of Redis's util.c): '*' matches any bytes, '/' and ':' included; '?' one byte; '[abc]',
// '[^abc]' and '[a-z]' one byte of a class; '\' makes the next byte literal; matching is on bytes and
// case-sensitive, with Redis's edge cases (an unclosed '[', '[]', signed-char ranges, its limit of 1000
// nested '*' runs). It never panics and runs in time bounded by len(pattern)*len(key).
//
// It is the matcher an in-process Store uses for DeletePattern and Scan, so that every backend selects
// the same keys as Redis. The implementation, with its full rules and its tests against a real
// redis-server, is cachekit's internal/glob, which package keyspace shares for escaping
// (keyspace.EscapeGlob).
func Match(pattern, key string) bool { return glob.Match(pattern, key) }

// LiteralPrefix returns the longest prefix that every key matching pattern starts with, with escapes
// resolved: the bytes before the first '*', '?' or '['. An in-process store can skip entries that lack it
// without calling Match. Matching the prefix is necessary, not sufficient.
func LiteralPrefix(pattern string) string { return glob.LiteralPrefix(pattern) }
