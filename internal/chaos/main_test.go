package chaos

import (
	"testing"

	"github.com/cachekit/cachekit/internal/redistest"
	_ "github.com/cachekit/cachekit/store/memory" // memory:// (the tiered L1)
	_ "github.com/cachekit/cachekit/store/redis"  // redis://, redis+sentinel://, redis+cluster://
	_ "github.com/cachekit/cachekit/store/tiered" // tiered://
)

func TestMain(m *testing.M) { redistest.Main(m) }
