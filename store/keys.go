package store

import "fmt"

// errEmptyKey is the cause of every empty-key refusal; the *OpError around it names backend and op.
var errEmptyKey = fmt.Errorf("%w: empty key", ErrInvalidKey)

// CheckKey is the key rule every backend applies before doing anything else: the empty key is refused
// with an *OpError{Backend: backend, Op: op} wrapping ErrInvalidKey. Any other key is accepted (backends
// do not otherwise interpret keys) and CheckKey returns nil without allocating.
func CheckKey(backend, op, key string) error {
	if key == "" {
		return &OpError{Op: op, Backend: backend, Err: errEmptyKey}
	}
	return nil
}

// CheckKeys applies CheckKey to every key of a multi-key call (GetMany, Delete) and returns the first
// refusal, which names the position of the empty key. A nil or empty slice is accepted.
func CheckKeys(backend, op string, keys []string) error {
	for i, k := range keys {
		if k == "" {
			return emptyAt(backend, op, i, len(keys))
		}
	}
	return nil
}

// CheckItems applies CheckKey to the key and CheckTTL to the TTL of every item of a SetMany, before
// anything is written, and returns the first refusal; an empty key's names the position of its item.
func CheckItems(backend, op string, items []Item) error {
	for i := range items {
		if items[i].Key == "" {
			return emptyAt(backend, op, i, len(items))
		}
		if err := CheckTTL(backend, op, items[i].Key, items[i].TTL); err != nil {
			return err
		}
	}
	return nil
}

func emptyAt(backend, op string, i, n int) error {
	return &OpError{Op: op, Backend: backend, Err: fmt.Errorf("%w (#%d of %d)", errEmptyKey, i+1, n)}
}
