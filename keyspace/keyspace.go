// Package keyspace builds cachekit's namespaced, versioned, human-readable keys and the glob patterns that
// select them: {namespace}:{version}:{kind}:{part}:{part}..., e.g. "qrl:v1:ohlcv:QRL/USDT:1d:120".
//
// Every segment is validated (see ValidateSegment), so "users" can never match "users:archive" by
// accident, and user text is always glob-escaped before it enters a pattern, so a symbol such as "*" or
// "[QRL]" selects only itself. Package keyspace imports no other public package of cachekit (only the
// internal leaf packages glob and keyquote).
package keyspace

import (
	"errors"
	"fmt"
	"strings"
)

// Defaults used when a namespace or version is not configured.
const (
	DefaultNamespace = "qrl"
	DefaultVersion   = "v1"
)

// Limits on key size. Redis allows far longer keys, but a key this long is a bug in the caller, and
// bounded keys keep pattern scans and logs readable.
const (
	MaxSegmentLen = 256  // bytes in one segment
	MaxKeyLen     = 1024 // bytes in a full key, prefix included
)

// Separator joins segments. It may not appear inside a segment.
const Separator = ":"

// ErrInvalidKey is wrapped by every validation error of this package; the message names the problem.
var ErrInvalidKey = errors.New("invalid key")

// Keyspace is a namespace + version prefix. The zero value is not valid; use New or Default.
// A Keyspace is an immutable value, safe to copy and share.
type Keyspace struct {
	namespace, version string
	prefix             string // "qrl:v1:"
}

// New returns the keyspace {namespace}:{version}:, rejecting invalid segments with ErrInvalidKey.
func New(namespace, version string) (Keyspace, error) {
	if err := ValidateSegment(namespace); err != nil {
		return Keyspace{}, fmt.Errorf("namespace: %w", err)
	}
	if err := ValidateSegment(version); err != nil {
		return Keyspace{}, fmt.Errorf("version: %w", err)
	}
	return Keyspace{namespace: namespace, version: version, prefix: namespace + Separator + version + Separator}, nil
}

// Default returns the keyspace "qrl:v1:".
func Default() Keyspace {
	ks, _ := New(DefaultNamespace, DefaultVersion) // constants are valid
	return ks
}

// Namespace returns the namespace segment.
func (k Keyspace) Namespace() string { return k.namespace }

// Version returns the version segment.
func (k Keyspace) Version() string { return k.version }

// Prefix returns "{namespace}:{version}:", the literal start of every key of this keyspace.
func (k Keyspace) Prefix() string { return k.prefix }

// String returns the prefix.
func (k Keyspace) String() string { return k.prefix }

// Key turns a relative key such as "ticker:QRL/USDT" into the full key "qrl:v1:ticker:QRL/USDT",
// validating each ':'-separated segment and the total length.
func (k Keyspace) Key(rel string) (string, error) {
	if err := k.valid(); err != nil {
		return "", err
	}
	if err := ValidateRelative(rel); err != nil {
		return "", err
	}
	full := k.prefix + rel
	if len(full) > MaxKeyLen {
		return "", fmt.Errorf("%w: key is %d bytes, over the %d-byte limit", ErrInvalidKey, len(full), MaxKeyLen)
	}
	return full, nil
}

// Join builds the full key from a kind and parts: Join("ohlcv", "QRL/USDT", "1d", "120") is
// "qrl:v1:ohlcv:QRL/USDT:1d:120". Each segment is validated.
func (k Keyspace) Join(kind string, parts ...string) (string, error) {
	rel, err := Rel(kind, parts...)
	if err != nil {
		return "", err
	}
	return k.Key(rel)
}

// Relative strips the keyspace prefix from a full key. ok is false when the key is not in this keyspace.
func (k Keyspace) Relative(full string) (rel string, ok bool) {
	if k.prefix == "" || !strings.HasPrefix(full, k.prefix) {
		return "", false
	}
	return full[len(k.prefix):], true
}

// Pattern scopes a user glob, relative to the keyspace, to it: Pattern("ohlcv:*") is "qrl:v1:ohlcv:*".
// The prefix is escaped; relPattern is kept as a glob (its metacharacters keep their meaning). It may not
// be empty nor contain control characters.
func (k Keyspace) Pattern(relPattern string) (string, error) {
	if err := k.valid(); err != nil {
		return "", err
	}
	if relPattern == "" {
		return "", fmt.Errorf("%w: empty pattern", ErrInvalidKey)
	}
	if err := checkText(relPattern, MaxKeyLen); err != nil {
		return "", fmt.Errorf("pattern: %w", err)
	}
	return EscapeGlob(k.prefix) + relPattern, nil
}

// All returns the pattern matching every key of this keyspace and nothing else: the escaped prefix + "*".
func (k Keyspace) All() string { return EscapeGlob(k.prefix) + "*" }

// KindPattern returns the pattern matching every key of one kind: "qrl:v1:ticker:*".
func (k Keyspace) KindPattern(kind string) (string, error) {
	if err := k.valid(); err != nil {
		return "", err
	}
	if err := ValidateSegment(kind); err != nil {
		return "", fmt.Errorf("kind: %w", err)
	}
	return EscapeGlob(k.prefix+kind+Separator) + "*", nil
}

// Rel joins a kind and parts into a relative key ("ticker:QRL/USDT"), validating each segment.
func Rel(kind string, parts ...string) (string, error) {
	if err := ValidateSegment(kind); err != nil {
		return "", fmt.Errorf("kind: %w", err)
	}
	n := len(kind)
	for i, p := range parts {
		if err := ValidateSegment(p); err != nil {
			return "", fmt.Errorf("part %d: %w", i+1, err)
		}
		n += 1 + len(p)
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(kind)
	for _, p := range parts {
		b.WriteString(Separator)
		b.WriteString(p)
	}
	return b.String(), nil
}

func (k Keyspace) valid() error {
	if k.prefix == "" {
		return fmt.Errorf("%w: zero Keyspace (use keyspace.New)", ErrInvalidKey)
	}
	return nil
}
