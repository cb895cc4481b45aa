// Package limits holds the nesting limit that codec enforces on every value it encodes or decodes. It
// is a constant shared by the checks in codec's internal packages, not a parameter: the msgpack
// structure check runs on every decode, and a limit held in a register costs it spills in its inner
// loop.
package limits

// MaxDepth bounds how deeply a value may nest, on encode and on decode (goccy/go-json and encoding/json
// apply the same limit themselves). It keeps recursion far from Go's stack limit, whose overflow cannot
// be recovered.
const MaxDepth = 10000
