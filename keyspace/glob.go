package keyspace

import "github.com/cachekit/cachekit/internal/glob"

// EscapeGlob backslash-escapes every glob metacharacter (* ? [ ] \) in s, so the result, used as a Redis
// glob, matches exactly s and nothing else. (It is the escaping of cachekit's one glob implementation,
// which store.Match matches with.)
func EscapeGlob(s string) string { return glob.Escape(s) }
