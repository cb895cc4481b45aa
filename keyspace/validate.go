package keyspace

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cachekit/cachekit/internal/keyquote"
)

// ValidateSegment reports, wrapping ErrInvalidKey, why s cannot be one key segment: empty, containing
// the ':' separator, containing control characters or invalid UTF-8, or longer than MaxSegmentLen bytes.
// Messages quote the offending text capped at 128 bytes (then its length), whatever its size; so do
// every validation message of this package.
func ValidateSegment(s string) error {
	if s == "" {
		return fmt.Errorf("%w: empty segment", ErrInvalidKey)
	}
	if i := strings.Index(s, Separator); i >= 0 {
		return fmt.Errorf("%w: segment %s contains the separator %q at byte %d", ErrInvalidKey, keyquote.Quote(s), Separator, i)
	}
	return checkText(s, MaxSegmentLen)
}

// ValidateRelative validates a relative key "kind:part:...": every ':'-separated segment must pass
// ValidateSegment (so no empty segment, no leading, trailing or doubled ':').
func ValidateRelative(rel string) error {
	if rel == "" {
		return fmt.Errorf("%w: empty key", ErrInvalidKey)
	}
	if len(rel) > MaxKeyLen {
		return fmt.Errorf("%w: key is %d bytes, over the %d-byte limit", ErrInvalidKey, len(rel), MaxKeyLen)
	}
	if printableASCIIKey(rel) { // one pass over the common case: this runs on every cache read
		return nil
	}
	return validateSegments(rel)
}

// validateSegments checks every segment of rel, segment by segment without strings.Split (no
// allocation even here), and names the first problem.
func validateSegments(rel string) error {
	for i, rest := 0, rel; ; i++ {
		seg, tail, more := strings.Cut(rest, Separator)
		if seg == "" {
			return fmt.Errorf("%w: key %s has an empty segment (#%d)", ErrInvalidKey, keyquote.Quote(rel), i+1)
		}
		if err := checkText(seg, MaxSegmentLen); err != nil {
			return fmt.Errorf("key %s: %w", keyquote.Quote(rel), err)
		}
		if !more {
			return nil
		}
		rest = tail
	}
}

// checkText rejects invalid UTF-8, control characters and text over max bytes.
func checkText(s string, max int) error {
	if len(s) > max {
		return fmt.Errorf("%w: %d bytes, over the %d-byte limit", ErrInvalidKey, len(s), max)
	}
	if printableASCII(s) { // the common case, checked a byte at a time: this runs on every cache read
		return nil
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalidKey, keyquote.Quote(s))
	}
	for i, r := range s {
		if unicode.IsControl(r) {
			return fmt.Errorf("%w: %s has control character %U at byte %d", ErrInvalidKey, keyquote.Quote(s), r, i)
		}
	}
	return nil
}

// printableASCII reports whether s is all ASCII without control characters (0x00-0x1f, 0x7f), which
// makes it valid for checkText. false means "look closer", not "invalid".
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// printableASCIIKey reports whether rel, at most MaxKeyLen bytes, is a valid relative key made of
// printable ASCII: no empty segment, none longer than MaxSegmentLen. false means "look closer".
func printableASCIIKey(rel string) bool {
	start := 0
	for i := 0; i < len(rel); i++ {
		switch c := rel[i]; {
		case c == Separator[0]:
			if i == start || i-start > MaxSegmentLen {
				return false
			}
			start = i + 1
		case c < 0x20 || c >= 0x7f:
			return false
		}
	}
	return len(rel) > start && len(rel)-start <= MaxSegmentLen
}
