package cachekit_test

import (
	"testing"

	"github.com/cachekit/cachekit/internal/redistest"
	_ "github.com/cachekit/cachekit/store/redis"
)

func TestMain(m *testing.M) { redistest.Main(m) }
