// Package mpscan checks msgpack bytes before they are decoded. msgpack v5 has neither a depth limit
// (deep nesting could overflow the stack, which kills the process) nor, for slices, an allocation limit
// (a corrupt array header claiming 2^32 elements would allocate them before reading any): Check rejects
// both, every truncation and any trailing bytes, in one pass over the bytes without allocating, so that
// what fails in the decoder afterwards is the value's shape, not its bytes.
package mpscan

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cachekit/cachekit/codec/internal/limits"
)

// Check verifies, without decoding, that b holds exactly one well-formed msgpack value that nests at
// most limits.MaxDepth levels. It reads only type codes and length fields, skipping payload bytes; a level's
// remaining item count lives in a register while the level is read, and goes on a stack only when a
// container opens inside it.
func Check(b []byte) error {
	var stackBuf [32]uint64
	stack := stackBuf[:0] // items still to read at each enclosing level
	left := uint64(1)     // items still to read at the current level
	i := 0
	for {
		for ; left > 0; left-- {
			if i >= len(b) {
				return errTruncated
			}
			c := b[i]
			i++
			// Each item's offset depends on the one before, so the codes that make up most of a
			// struct-heavy value (field names, numbers, decimals' bytes, timestamps) are sized with
			// arithmetic rather than a table load on that dependency chain.
			switch {
			case c&0xe0 == 0xa0: // fixstr: field names, short strings
				if n := int(c & 0x1f); n <= len(b)-i {
					i += n
					continue
				}
				return errTruncated
			case c == 0xc4 || c == 0xd9: // bin8 (a decimal's MarshalBinary), str8
				if i < len(b) {
					if n := int(b[i]); n < len(b)-i {
						i += n + 1
						continue
					}
				}
				return errTruncated
			case c <= 0x7f || c >= 0xe0: // fixint
				continue
			case c >= 0xd4 && c <= 0xd8: // fixext1..16 (timestamps): type byte + 1..16 bytes
				if n := 1 + 1<<(c-0xd4); n <= len(b)-i {
					i += n
					continue
				}
				return errTruncated
			}
			code := mpCodes[c]
			if code.kind == mpFixed {
				if int(code.n) > len(b)-i {
					return errTruncated
				}
				i += int(code.n)
				continue
			}
			n := uint64(code.n)
			if code.lenSize > 0 {
				if len(b)-i < int(code.lenSize) {
					return errTruncated
				}
				n = readBig(b[i:], code.lenSize)
				i += int(code.lenSize)
			}
			switch code.kind {
			case mpInvalid:
				return fmt.Errorf("byte 0x%02x at offset %d is not a msgpack type code", c, i-1)
			case mpBytes:
				if n > uint64(len(b)-i) {
					return errTruncated
				}
				i += int(n)
				continue
			case mpExt:
				if n >= uint64(len(b)-i) { // the extension's type byte, then n bytes
					return errTruncated
				}
				i += int(n) + 1
				continue
			case mpMap:
				n *= 2 // a key and a value per entry
			}
			if n == 0 {
				continue
			}
			if n > uint64(len(b)-i) { // every item takes at least one byte
				return errTruncated
			}
			if len(stack) >= limits.MaxDepth {
				return fmt.Errorf("value nests deeper than %d levels", limits.MaxDepth)
			}
			stack = append(stack, left-1) // what is left at this level once the container is read
			left = n + 1                  // +1: the loop's decrement runs before the first item
		}
		if len(stack) == 0 {
			break
		}
		left = stack[len(stack)-1]
		stack = stack[:len(stack)-1]
	}
	if i != len(b) {
		return fmt.Errorf("%d trailing bytes after the value", len(b)-i)
	}
	return nil
}

var errTruncated = errors.New("truncated")

const (
	mpInvalid = iota
	mpFixed   // n = bytes after the code: fixint, nil, bool, numbers, fixstr, fixext (type byte + data)
	mpBytes   // str, bin: a length field, then the bytes
	mpExt     // ext: a length field, the type byte, then the data
	mpArray   // n = inline count, or a count field; then the items
	mpMap     // n = inline count, or a count field; then a key and a value per entry
)

type mpCode struct {
	kind    uint8
	n       uint8 // size, count or length carried by the code itself
	lenSize uint8 // size of the big-endian length or count field after the code
}

// mpCodes describes every msgpack type code (see the msgpack spec's format table).
var mpCodes = func() (t [256]mpCode) {
	for c := range 256 {
		switch {
		case c <= 0x7f || c >= 0xe0: // positive and negative fixint
			t[c] = mpCode{kind: mpFixed}
		case c <= 0x8f:
			t[c] = mpCode{kind: mpMap, n: uint8(c & 0x0f)}
		case c <= 0x9f:
			t[c] = mpCode{kind: mpArray, n: uint8(c & 0x0f)}
		case c <= 0xbf: // fixstr
			t[c] = mpCode{kind: mpFixed, n: uint8(c & 0x1f)}
		}
	}
	for _, c := range []byte{0xc0, 0xc2, 0xc3} { // nil, false, true
		t[c] = mpCode{kind: mpFixed}
	}
	for c, size := range map[byte]uint8{
		0xca: 4, 0xcb: 8, // float32, float64
		0xcc: 1, 0xcd: 2, 0xce: 4, 0xcf: 8, // uint8..64
		0xd0: 1, 0xd1: 2, 0xd2: 4, 0xd3: 8, // int8..64
		0xd4: 2, 0xd5: 3, 0xd6: 5, 0xd7: 9, 0xd8: 17, // fixext1..16: type byte + data
	} {
		t[c] = mpCode{kind: mpFixed, n: size}
	}
	for c, size := range map[byte]uint8{0xc4: 1, 0xc5: 2, 0xc6: 4, 0xd9: 1, 0xda: 2, 0xdb: 4} { // bin, str
		t[c] = mpCode{kind: mpBytes, lenSize: size}
	}
	for c, size := range map[byte]uint8{0xc7: 1, 0xc8: 2, 0xc9: 4} { // ext8..32
		t[c] = mpCode{kind: mpExt, lenSize: size}
	}
	t[0xdc], t[0xdd] = mpCode{kind: mpArray, lenSize: 2}, mpCode{kind: mpArray, lenSize: 4}
	t[0xde], t[0xdf] = mpCode{kind: mpMap, lenSize: 2}, mpCode{kind: mpMap, lenSize: 4}
	return t // 0xc1 stays mpInvalid: "never used"
}()

func readBig(b []byte, size uint8) uint64 {
	switch size {
	case 1:
		return uint64(b[0])
	case 2:
		return uint64(binary.BigEndian.Uint16(b))
	}
	return uint64(binary.BigEndian.Uint32(b))
}
