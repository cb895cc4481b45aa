package cachekit_test

import (
	"context"
	"fmt"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/codec"
)

// Compression and encryption, configured as CACHE_COMPRESSION and CACHEKIT_ENCRYPTION_KEYS would
// configure them: k2 encrypts new values, k1 still decrypts the values it wrote before the rotation.
func ExampleWithEncryptionKeys() {
	ctx := context.Background()
	// In production: cachekit.OpenEnv(ctx) with CACHEKIT_ENCRYPTION_KEYS=k2:...,k1:... in the environment.
	keys, err := codec.ParseKeyring("k2:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=,k1:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=")
	if err != nil {
		panic(err)
	}
	c, err := cachekit.Open(ctx, "memory://",
		cachekit.WithEncryptionKeys(keys),
		cachekit.WithCompression(codec.Compression{Algorithm: codec.Zstd, MinSize: 1024}))
	if err != nil {
		panic(err)
	}
	defer c.Close()

	if err := c.Set(ctx, "balance:QRL", 42, 0); err != nil {
		panic(err)
	}
	var n int
	if err := c.Get(ctx, "balance:QRL", &n); err != nil {
		panic(err)
	}
	raw, _ := c.Store().Get(ctx, "qrl:v1:balance:QRL") // what Redis would hold
	m, _ := codec.ReadMeta(raw)
	fmt.Println(n, m.KeyID, m.Compression) // 42 is under the 1 KiB threshold: not compressed
	fmt.Println(c.Envelope().Keys().IDs())
	// Output:
	// 42 k2 none
	// [k2 k1]
}
