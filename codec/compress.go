package codec

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"

	"github.com/cachekit/cachekit/codec/internal/limits"
)

// Algorithm names a compression algorithm, as written in the envelope header (the byte after the
// timestamps when the compressed flag is set). The zero Algorithm is no compression.
type Algorithm byte

// Compression algorithms, by their header byte. Both are klauspost/compress implementations; every
// reader reads both, whichever one its own writer uses.
const (
	// NoCompression writes payloads as the codec produced them.
	NoCompression Algorithm = 0
	// Zstd is Zstandard (klauspost/compress/zstd, its fastest level, with the frame checksum), the one
	// to choose for a cache over a network or memory budget: on the trading payloads it writes about 1.8
	// times fewer bytes than S2 (120 JSON candles: 6.4x smaller against S2's 3.3x; a 500-level JSON
	// order book: 4.9x against 2.7x); decompressing costs a fraction of decoding (BenchmarkSealOnly,
	// BenchmarkSealEncode, BenchmarkSealDecode).
	Zstd Algorithm = 1
	// S2 is klauspost's Snappy extension (block format): about 5 times faster than Zstd to compress
	// and decompress, at the lower ratio, for values whose read latency matters more than their size.
	S2 Algorithm = 2
)

// String returns the algorithm's name as ParseCompression accepts it: "none", "zstd", "s2", or
// "algorithm(N)" for an unknown byte.
func (a Algorithm) String() string {
	switch a {
	case NoCompression:
		return "none"
	case Zstd:
		return "zstd"
	case S2:
		return "s2"
	}
	return "algorithm(" + strconv.Itoa(int(a)) + ")"
}

// DefaultMinCompressSize is the payload size below which Compression leaves a value uncompressed when
// MinSize is 0: below about half a kilobyte the frame overhead eats most of what compression saves, and
// the time spent is pure cost.
const DefaultMinCompressSize = 512

// Compression says which values an Envelope compresses: payloads (the codec's bytes) of at least MinSize
// bytes (DefaultMinCompressSize when 0), with Algorithm. A payload that does not shrink, or that is
// larger than the reader's bound (64 MiB), is written uncompressed; the header says which, so values
// of both kinds, and values written before compression was turned on, read side by side. The zero
// Compression compresses nothing.
type Compression struct {
	Algorithm Algorithm
	MinSize   int
}

// String returns c in ParseCompression's form: "none", or "zstd:512" (algorithm and minimum size).
func (c Compression) String() string {
	if c.Algorithm == NoCompression {
		return "none"
	}
	return c.Algorithm.String() + ":" + strconv.Itoa(c.minSize())
}

func (c Compression) minSize() int {
	if c.MinSize == 0 {
		return DefaultMinCompressSize
	}
	return c.MinSize
}

// validate reports an unknown algorithm or a negative minimum size.
func (c Compression) validate() error {
	switch {
	case c.Algorithm != NoCompression && c.Algorithm != Zstd && c.Algorithm != S2:
		return fmt.Errorf("%w: compression %s (valid: none, zstd, s2)", ErrUnknownCodec, c.Algorithm)
	case c.MinSize < 0:
		return fmt.Errorf("codec: compression minimum size %d must be >= 0", c.MinSize)
	}
	return nil
}

// ParseCompression parses "none" (or "off", or ""), "zstd", "s2", or either name followed by ":" and a
// minimum payload size in bytes ("zstd:1024"). Names are case-insensitive. Anything else is an error
// naming the text and what is accepted.
func ParseCompression(s string) (Compression, error) {
	name, size, hasSize := strings.Cut(strings.TrimSpace(s), ":")
	var c Compression
	switch strings.ToLower(name) {
	case "", "none", "off":
		if hasSize {
			return Compression{}, fmt.Errorf("codec: compression %q: no compression takes no size", s)
		}
		return Compression{}, nil
	case "zstd":
		c.Algorithm = Zstd
	case "s2":
		c.Algorithm = S2
	default:
		return Compression{}, fmt.Errorf("%w: compression %q (valid: none, zstd, s2, optionally :minbytes as in zstd:1024)", ErrUnknownCodec, s)
	}
	if hasSize {
		n, err := strconv.Atoi(size)
		if err != nil || n < 1 {
			return Compression{}, fmt.Errorf("codec: compression %q: minimum size %q is not a positive number of bytes", s, size)
		}
		c.MinSize = n
	}
	return c, nil
}

// The zstd encoder and decoder are made once, on first use, and shared: both are safe for concurrent
// use (EncodeAll and DecodeAll), and making them costs far more than a value's compression.
var (
	zstdEncoder = sync.OnceValues(func() (*zstd.Encoder, error) {
		// SpeedFastest: on the trading payloads it compresses as well as SpeedDefault (120 JSON candles
		// 6.4x against 6.0x, a 500-level book 4.9x against 4.8x) in at most the same time.
		return zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithLowerEncoderMem(true))
	})
	zstdDecoder = sync.OnceValues(func() (*zstd.Decoder, error) {
		return zstd.NewReader(nil,
			zstd.WithDecoderMaxMemory(limits.MaxDecompressed),
			zstd.WithDecoderMaxWindow(limits.MaxDecompressed),
			zstd.WithDecodeAllCapLimit(true)) // DecodeAll writes at most cap(dst): the declared size
	})
)

// compressAppend appends src compressed with a to dst.
func compressAppend(dst, src []byte, a Algorithm) ([]byte, error) {
	switch a {
	case Zstd:
		enc, err := zstdEncoder()
		if err != nil {
			return dst, fmt.Errorf("%w: zstd: %w", ErrEncode, err)
		}
		return enc.EncodeAll(src, dst), nil
	case S2:
		// s2.Encode writes from the start of the slice it is given, and allocates unless its length is
		// MaxEncodedLen: it gets exactly that much of the room after dst.
		n := s2.MaxEncodedLen(len(src))
		if n < 0 {
			return dst, fmt.Errorf("%w: s2: %d bytes is too large to compress", ErrEncode, len(src))
		}
		buf := grow(dst, n)
		out := s2.Encode(buf[len(dst):len(dst)+n], src)
		return buf[:len(dst)+len(out)], nil
	}
	return dst, fmt.Errorf("%w: compression %s", ErrEncode, a)
}

// decompressAppend appends the decompression of src with a to dst. src must expand to exactly size
// bytes, which the caller has checked against limits.MaxDecompressed: nothing larger is ever allocated,
// whatever src claims, and size is allocated only once the compressed data's own header (zstd's frame
// content size, s2's block length) agrees with it, so that a few corrupt bytes cannot make a reader
// allocate the limit. Any other outcome is ErrCorrupt.
func decompressAppend(dst, src []byte, a Algorithm, size int) ([]byte, error) {
	var claimed uint64
	switch a {
	case Zstd:
		var fh zstd.Header
		if err := fh.Decode(src); err != nil {
			return dst, fmt.Errorf("%w: zstd payload without a valid frame header: %w", ErrCorrupt, err)
		}
		claimed = fh.FrameContentSize
		if !fh.HasFCS && size < 256 {
			// EncodeAll leaves the content size out of frames of fewer than 256 bytes (and only of
			// those): the cap limit bounds what such a frame may expand to.
			claimed = uint64(size)
		}
	case S2:
		n, err := s2.DecodedLen(src)
		if err != nil {
			return dst, fmt.Errorf("%w: s2 payload: %w", ErrCorrupt, err)
		}
		claimed = uint64(n)
	default:
		return dst, fmt.Errorf("%w: unknown compression algorithm %d", ErrCorrupt, byte(a))
	}
	if claimed != uint64(size) {
		return dst, fmt.Errorf("%w: %s payload claims %d bytes, the header %d", ErrCorrupt, a, claimed, size)
	}
	dst = grow(dst, size)
	start := len(dst)
	var (
		out []byte
		err error
	)
	if a == Zstd {
		dec, derr := zstdDecoder()
		if derr != nil {
			return dst, fmt.Errorf("%w: zstd: %w", ErrCorrupt, derr)
		}
		out, err = dec.DecodeAll(src, dst[start:start:start+size]) // writes at most size bytes (cap limit)
	} else {
		out, err = s2.Decode(dst[start:start+size], src)
	}
	if err != nil {
		return dst, fmt.Errorf("%w: %s payload: %w", ErrCorrupt, a, err)
	}
	if len(out) != size || (size > 0 && &out[0] != &dst[start : start+1][0]) {
		return dst, fmt.Errorf("%w: %s payload expands to %d bytes, the header says %d", ErrCorrupt, a, len(out), size)
	}
	return dst[:start+size], nil
}

// grow returns b with room for n more bytes after its length.
func grow(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b
	}
	nb := make([]byte, len(b), len(b)+n)
	copy(nb, b)
	return nb
}
