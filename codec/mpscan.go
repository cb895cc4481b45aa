package codec

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// checkMsgpack verifies, without decoding, that b holds exactly one well-formed msgpack value that nests
// at most maxDepth levels. msgpack v5 has neither a depth limit (deep nesting could overflow the stack,
// which kills the process) nor, for slices, an allocation limit (a corrupt array header claiming 2^32
// elements would allocate them before reading any): this check rejects both, every truncation and any
// trailing bytes, in one pass over the bytes without allocating.
func checkMsgpack(b []byte) error {
	var stackBuf [32]uint64
	pending := append(stackBuf[:0], 1) // items still to read at each open level
	i := 0
	for len(pending) > 0 {
		top := len(pending) - 1
		if pending[top] == 0 {
			pending = pending[:top]
			continue
		}
		pending[top]--
		if i >= len(b) {
			return errTruncated
		}
		c := b[i]
		code := mpCodes[c]
		i++
		n := uint64(code.inline)
		if code.lenSize > 0 {
			if len(b)-i < int(code.lenSize) {
				return errTruncated
			}
			n = readBig(b[i:], code.lenSize)
			i += int(code.lenSize)
		}
		var skip, items uint64
		switch code.kind {
		case mpInvalid:
			return fmt.Errorf("byte 0x%02x at offset %d is not a msgpack type code", c, i-1)
		case mpScalar, mpBytes:
			skip = n
		case mpExt:
			skip = n + 1 // the extension's type byte
		case mpArray:
			items = n
		case mpMap:
			items = 2 * n
		}
		if skip > uint64(len(b)-i) {
			return errTruncated
		}
		i += int(skip)
		if items > 0 {
			if items > uint64(len(b)-i) { // every item takes at least one byte
				return errTruncated
			}
			if len(pending) > maxDepth {
				return fmt.Errorf("value nests deeper than %d levels", maxDepth)
			}
			pending = append(pending, items)
		}
	}
	if i != len(b) {
		return fmt.Errorf("%d trailing bytes after the value", len(b)-i)
	}
	return nil
}

var errTruncated = errors.New("truncated")

const (
	mpInvalid = iota
	mpScalar  // inline = bytes after the code
	mpBytes   // str, bin: inline length or a length field, then the bytes
	mpExt     // ext: length field, type byte, data
	mpArray   // inline count or a count field, then the items
	mpMap     // inline count or a count field, then key and value per entry
)

type mpCode struct {
	kind    uint8
	inline  uint8 // count, length or payload size carried by the code itself
	lenSize uint8 // size of the big-endian length field after the code
}

// mpCodes describes every msgpack type code (see the msgpack spec's format table).
var mpCodes = func() (t [256]mpCode) {
	for c := range 256 {
		switch {
		case c <= 0x7f || c >= 0xe0: // positive and negative fixint
			t[c] = mpCode{kind: mpScalar}
		case c <= 0x8f:
			t[c] = mpCode{kind: mpMap, inline: uint8(c & 0x0f)}
		case c <= 0x9f:
			t[c] = mpCode{kind: mpArray, inline: uint8(c & 0x0f)}
		case c <= 0xbf:
			t[c] = mpCode{kind: mpBytes, inline: uint8(c & 0x1f)}
		}
	}
	for _, c := range []byte{0xc0, 0xc2, 0xc3} { // nil, false, true
		t[c] = mpCode{kind: mpScalar}
	}
	for c, size := range map[byte]uint8{
		0xca: 4, 0xcb: 8, // float32, float64
		0xcc: 1, 0xcd: 2, 0xce: 4, 0xcf: 8, // uint8..64
		0xd0: 1, 0xd1: 2, 0xd2: 4, 0xd3: 8, // int8..64
		0xd4: 2, 0xd5: 3, 0xd6: 5, 0xd7: 9, 0xd8: 17, // fixext1..16: type byte + data
	} {
		t[c] = mpCode{kind: mpScalar, inline: size}
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
