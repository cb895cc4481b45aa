package cachekitprom_test

import (
	"testing"

	"github.com/cachekit/cachekit/internal/redistest"
)

// TestMain shares one Redis server among the package's tests.
func TestMain(m *testing.M) { redistest.Main(m) }
