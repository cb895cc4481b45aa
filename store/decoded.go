package store

import (
	"context"
	"fmt"
)

// DecodedCache is an optional interface of an in-process Store that keeps one decoded form next to each
// stored value, so a hot key is decoded once per write instead of once per read. It is detected with a
// type assertion.
//
// GetDecoded returns the form of the value stored under key that d decodes: the one kept with the entry
// when an earlier call with an equal Decoder made it, else d.DecodeValue's result for the stored bytes,
// which it keeps for later calls (replacing a form kept for another Decoder). A composite store whose
// fast tier cannot keep forms decodes on every call instead. Rules every implementation follows:
//   - The form belongs to one write: a later write of key replaces the entry and with it the form, so a
//     form is never older than the value it was decoded from. It lives as long as the entry does and is
//     not counted in the store's byte budget.
//   - Every caller that passes an equal Decoder may receive the same form, concurrently: callers must
//     treat it, and everything reachable from it, as read-only.
//   - DecodeValue is called without locks held, with bytes it must not retain or modify, at most once
//     per call; several concurrent calls may each decode the same entry, and any of their results may be
//     kept. Its error is returned unchanged (not wrapped) and nothing is kept; it should not wrap
//     ErrNotFound (a composite store would take it for a miss).
//   - A nil or uncomparable Decoder never causes a panic: where it would be used, GetDecoded returns an
//     error naming the problem instead.
//   - A miss (missing or expired key) is an error wrapping ErrNotFound, and DecodeValue is not called.
//     Hits and misses count in Stats as Get's do.
//   - key is not retained after GetDecoded returns, except inside a returned error (see Viewer).
type DecodedCache interface {
	GetDecoded(ctx context.Context, key string, d Decoder) (any, error)
}

// Decoder turns stored bytes into a decoded form (DecodedCache), and is that form's identity: the store
// compares Decoders with ==, so a Decoder must be comparable, and equal Decoders must decode alike. A
// zero-size value of a type private to the caller, one type per decoded type, is the safe choice; it
// also costs no allocation when converted to a Decoder.
type Decoder interface {
	// DecodeValue decodes value, which it must not retain or modify.
	DecodeValue(value []byte) (any, error)
}

// GetDecoded returns d's decoded form of the value stored under key: through s.GetDecoded when s is a
// DecodedCache, else the fallback, Get and then d.DecodeValue on every call (nothing is kept). The
// fallback follows the DecodedCache rules that apply to it: a nil or uncomparable d is an error
// (CheckDecoder; its *OpError names s's type as the backend, since the fallback knows no other name), a
// miss is Get's error wrapping ErrNotFound without a decode, and DecodeValue's error is returned
// unchanged.
func GetDecoded(ctx context.Context, s Store, key string, d Decoder) (any, error) {
	if dc, ok := s.(DecodedCache); ok {
		return dc.GetDecoded(ctx, key, d)
	}
	if err := CheckDecoder(d); err != nil {
		return nil, &OpError{Op: "get", Key: key, Backend: fmt.Sprintf("%T", s), Err: err}
	}
	value, err := s.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	return d.DecodeValue(value)
}
