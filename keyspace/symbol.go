package keyspace

import "strings"

// Selector selects keys: Pattern narrows a server-side scan (a Redis glob), Match decides exactly.
// Use Match on every key the pattern yields: a glob's '*' crosses ':', so Pattern alone may over-select.
type Selector struct {
	Pattern string
	match   func(full string) bool
}

// Match reports whether a full key is selected.
func (s Selector) Match(full string) bool { return s.match != nil && s.match(full) }

// Symbol selects every key of this keyspace, of any kind, whose first part is symbol:
// "qrl:v1:ticker:QRL/USDT", "qrl:v1:ohlcv:QRL/USDT:1d:120", but not "qrl:v1:ticker:QRL/USDT2" nor a key
// where the symbol appears in a later part. Glob metacharacters in symbol are escaped.
func (k Keyspace) Symbol(symbol string) (Selector, error) {
	if err := k.valid(); err != nil {
		return Selector{}, err
	}
	if err := ValidateSegment(symbol); err != nil {
		return Selector{}, err
	}
	prefix := k.prefix
	return Selector{
		Pattern: EscapeGlob(prefix) + "*" + EscapeGlob(Separator+symbol) + "*",
		match: func(full string) bool {
			if !strings.HasPrefix(full, prefix) {
				return false
			}
			rest := full[len(prefix):]
			i := strings.Index(rest, Separator) // end of the kind
			if i <= 0 {
				return false
			}
			rest = rest[i+1:]
			return rest == symbol || (strings.HasPrefix(rest, symbol) && strings.HasPrefix(rest[len(symbol):], Separator))
		},
	}, nil
}
