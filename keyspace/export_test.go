package keyspace

// Exported for the differential test of ValidateRelative's fast path.
var (
	PrintableASCIIKey = printableASCIIKey
	ValidateSegments  = validateSegments
)
