// Package keyquote formats user-supplied keys for error messages with a bounded length, so that an
// invalid 64 KiB key gives a short message rather than a 64 KiB one. It is a leaf package (it imports
// nothing of cachekit's), shared by store and keyspace.
package keyquote

import (
	"strconv"
	"unicode/utf8"
)

// MaxBytes is the most bytes of a key that Quote shows.
const MaxBytes = 128

// maxQuoted bounds the quoted text: escapes (\x00 is four bytes) can make it longer than the bytes it
// shows, so the prefix shrinks until its quoted form fits.
const maxQuoted = MaxBytes + 2

// Quote returns s quoted as by %q when that takes at most MaxBytes+2 bytes. Otherwise it returns the
// quoted form of s's first bytes, as many as fit in MaxBytes+2 quoted bytes (at most MaxBytes of s; fewer
// when escapes such as \x01 lengthen them; never splitting a UTF-8 character), followed by "…(N bytes)",
// N being len(s). The result is at most about 150 bytes whatever s holds.
func Quote(s string) string {
	if len(s) <= MaxBytes {
		if q := strconv.Quote(s); len(q) <= maxQuoted {
			return q
		}
	}
	n := min(len(s), MaxBytes)
	for {
		n = runeStart(s, n)
		q := strconv.Quote(s[:n])
		if len(q) <= maxQuoted || n == 0 {
			return q + "…(" + strconv.Itoa(len(s)) + " bytes)"
		}
		// Each byte costs at most 4 quoted bytes (\xff), so this never drops more than the excess needs.
		n -= max(1, (len(q)-maxQuoted)/4)
	}
}

// runeStart moves n back (by at most utf8.UTFMax-1 bytes) so that s[:n] does not end inside a valid
// multi-byte character.
func runeStart(s string, n int) int {
	if n >= len(s) {
		return len(s)
	}
	for i := 0; i < utf8.UTFMax-1 && n > 0 && !utf8.RuneStart(s[n]); i++ {
		n--
	}
	return n
}
