package keyspace

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ValidateSegment reports, wrapping ErrInvalidKey, why s cannot be one key segment: empty, containing
// the ':' separator, containing control characters or invalid UTF-8, or longer than MaxSegmentLen bytes.
func ValidateSegment(s string) error {
	if s == "" {
		return fmt.Errorf("%w: empty segment", ErrInvalidKey)
	}
	if i := strings.Index(s, Separator); i >= 0 {
		return fmt.Errorf("%w: segment %q contains the separator %q at byte %d", ErrInvalidKey, s, Separator, i)
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
	for i, seg := range strings.Split(rel, Separator) {
		if seg == "" {
			return fmt.Errorf("%w: key %q has an empty segment (#%d)", ErrInvalidKey, rel, i+1)
		}
		if err := checkText(seg, MaxSegmentLen); err != nil {
			return fmt.Errorf("key %q: %w", rel, err)
		}
	}
	return nil
}

// checkText rejects invalid UTF-8, control characters and text over max bytes.
func checkText(s string, max int) error {
	if len(s) > max {
		return fmt.Errorf("%w: %d bytes, over the %d-byte limit", ErrInvalidKey, len(s), max)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: %q is not valid UTF-8", ErrInvalidKey, s)
	}
	for i, r := range s {
		if unicode.IsControl(r) {
			return fmt.Errorf("%w: %q has control character %U at byte %d", ErrInvalidKey, s, r, i)
		}
	}
	return nil
}
