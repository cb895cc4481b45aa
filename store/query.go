package store

import (
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Query reads a URL's query options one by one and, through Done, rejects the ones nobody read. Openers
// use it so that a misspelt option is an error rather than silently ignored.
type Query struct {
	values url.Values
	read   map[string]bool
	err    error
}

// NewQuery wraps a URL's query values.
func NewQuery(values url.Values) *Query {
	return &Query{values: values, read: map[string]bool{}}
}

// Has reports whether the option is present, and marks it read. An option given more than once is an
// error (see Done), as with every single-valued reader of Query.
func (q *Query) Has(name string) bool {
	q.read[name] = true
	vs, ok := q.values[name]
	q.once(name, vs)
	return ok
}

// String returns the option's value, or def when it is absent. An option given more than once
// ("?db=3&db=4") is an error (see Done) naming it, never a silent choice of one value; so it is for
// every typed reader (Duration, Int, Bool, Bytes), which read through String.
func (q *Query) String(name, def string) string {
	q.read[name] = true
	vs, ok := q.values[name]
	if !ok || len(vs) == 0 {
		return def
	}
	q.once(name, vs)
	return vs[0]
}

// once records the error of a single-valued option given more than once.
func (q *Query) once(name string, vs []string) {
	if len(vs) > 1 {
		q.Fail(fmt.Errorf("%w: option %s given %d times; give it once", ErrInvalidURL, name, len(vs)))
	}
}

// Strings returns every value of a repeatable option.
func (q *Query) Strings(name string) []string {
	q.read[name] = true
	return q.values[name]
}

// Forward returns the options not read so far and marks them read, for an opener that passes them on
// to another parser (go-redis) after taking its own. Each must be given once, unless it is named in
// repeatable: a repeated option is an error (see Done), since parsers such as go-redis' silently keep
// one of the values.
func (q *Query) Forward(repeatable ...string) url.Values {
	out := q.Unread()
	names := make([]string, 0, len(out))
	for name := range out {
		names = append(names, name)
	}
	sort.Strings(names) // the first error recorded does not depend on map order
	for _, name := range names {
		q.read[name] = true
		if !slices.Contains(repeatable, name) {
			q.once(name, out[name])
		}
	}
	return out
}

// Duration returns a Go duration option ("250ms", "2s"), or def when it is absent.
func (q *Query) Duration(name string, def time.Duration) time.Duration {
	s := q.String(name, "")
	if s == "" {
		return def
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		q.Fail(fmt.Errorf("%w: option %s=%q is not a non-negative duration such as 250ms or 2s", ErrInvalidURL, name, s))
		return def
	}
	return d
}

// Int returns an integer option, or def when it is absent.
func (q *Query) Int(name string, def int) int {
	s := q.String(name, "")
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		q.Fail(fmt.Errorf("%w: option %s=%q is not an integer", ErrInvalidURL, name, s))
		return def
	}
	return n
}

// Bool returns a boolean option ("true", "false", "1", "0"), or def when it is absent.
func (q *Query) Bool(name string, def bool) bool {
	s := q.String(name, "")
	if s == "" {
		return def
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		q.Fail(fmt.Errorf("%w: option %s=%q is not a boolean", ErrInvalidURL, name, s))
		return def
	}
	return b
}

// Bytes returns a size option ("64MiB", "512KB", "1048576"), or def when it is absent.
func (q *Query) Bytes(name string, def int64) int64 {
	s := q.String(name, "")
	if s == "" {
		return def
	}
	n, err := ParseBytes(s)
	if err != nil {
		q.Fail(fmt.Errorf("%w: option %s: %v", ErrInvalidURL, name, err))
		return def
	}
	return n
}

// Fail records an error found while interpreting an option (also an opener's own validation error); Done
// returns the first one recorded.
func (q *Query) Fail(err error) {
	if q.err == nil {
		q.err = err
	}
}

// Done returns the first error met while reading options, else an error wrapping ErrInvalidURL naming
// every option that was present but never read, else nil.
func (q *Query) Done() error {
	if q.err != nil {
		return q.err
	}
	var unknown []string
	for name := range q.values {
		if !q.read[name] {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	known := make([]string, 0, len(q.read))
	for name := range q.read {
		known = append(known, name)
	}
	sort.Strings(known)
	return fmt.Errorf("%w: unknown option(s) %s (known: %s)", ErrInvalidURL, strings.Join(unknown, ", "), strings.Join(known, ", "))
}

// Unread returns the options present but not read so far, for an opener that passes them on to another
// parser (go-redis) after taking its own.
func (q *Query) Unread() url.Values {
	out := url.Values{}
	for name, vs := range q.values {
		if !q.read[name] {
			out[name] = vs
		}
	}
	return out
}

var byteUnits = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
	{"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000},
	{"B", 1},
}

// ParseBytes parses a byte size: a plain number of bytes or a number with one of the suffixes
// B, KB, MB, GB (powers of 1000) or KiB, MiB, GiB (powers of 1024). It rejects negative and fractional
// values.
func ParseBytes(s string) (int64, error) {
	num, mult := strings.TrimSpace(s), int64(1)
	for _, u := range byteUnits {
		if strings.HasSuffix(num, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(num, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a byte size such as 64MiB, 512KB or 1048576", s)
	}
	if n > (1<<63-1)/mult {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return n * mult, nil
}
