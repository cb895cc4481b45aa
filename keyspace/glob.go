package keyspace

import "strings"

// globMeta are the bytes Redis's glob matcher gives a meaning to.
const globMeta = `*?[]\`

// EscapeGlob backslash-escapes every glob metacharacter (* ? [ ] \) in s, so the result, used as a Redis
// glob, matches exactly s and nothing else.
func EscapeGlob(s string) string {
	if !strings.ContainsAny(s, globMeta) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 4)
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(globMeta, s[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
