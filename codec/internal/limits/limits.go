// Package limits holds the bounds that codec enforces on every value it encodes or decodes. They are
// constants shared by the checks in codec's internal packages, not parameters: the msgpack structure
// check runs on every decode, and a limit held in a register costs it spills in its inner loop.
package limits

// MaxDepth bounds how deeply a value may nest, on encode and on decode (goccy/go-json and encoding/json
// apply the same limit themselves). It keeps recursion far from Go's stack limit, whose overflow cannot
// be recovered.
const MaxDepth = 10000

// MaxDecompressed bounds the size a compressed payload may expand to. A reader allocates at most this
// for one value whatever the stored bytes claim, so a decompression bomb (a few bytes that expand to
// gigabytes) is refused as corrupt instead of exhausting memory. A writer does not compress a payload
// larger than this, so everything it writes stays readable.
const MaxDecompressed = 64 << 20
